/**
 * The dialogs of a contract's page: editing a draft (and, when submitting needs more, asking
 * for it first, then submitting), and terminating with a reason. A server error shows once:
 * at its field when the form has it, in a banner otherwise.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Form, Input, Modal } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, etagOf, unwrap, type Schemas } from '../api/client';
import { InlineError } from '../components/States';
import { DRAFT_FIELDS, DraftFields, LIMITS, draftBody, draftValues, placeServerErrors, type DraftValues } from './ContractForm';

type Contract = Schemas['ContractOut'];

function useRefresh(id: string) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: ['contract', id] });
    void qc.invalidateQueries({ queryKey: ['contracts'] });
  };
}

/**
 * Edits a draft. With `submitAfter`, it opens to complete what submitting needs (the
 * contract's `missing_for_submit`), saves, then submits.
 */
export function EditContractModal({ contract, submitAfter = false, onClose }: { contract: Contract; submitAfter?: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<DraftValues>();
  const refresh = useRefresh(contract.id);
  const [unplaced, setUnplaced] = useState<unknown>(null);
  const missing = contract.missing_for_submit.map((m) => m.field);
  const save = useMutation({
    mutationFn: async (v: DraftValues) => {
      const saved = await unwrap(api.PATCH('/api/v1/contracts/{contract_id}', {
        params: { path: { contract_id: contract.id }, header: { 'If-Match': etagOf(contract.version) } }, body: draftBody(v) }));
      if (!submitAfter) return saved;
      return unwrap(api.POST('/api/v1/contracts/{contract_id}/submit', {
        params: { path: { contract_id: contract.id }, header: { 'If-Match': etagOf(saved.version) } } }));
    },
    onMutate: () => setUnplaced(null),
    onSuccess: () => { refresh(); onClose(); },
    onError: (e) => { if (!placeServerErrors(form, e, DRAFT_FIELDS)) setUnplaced(e); },
  });
  return (
    <Modal open width={760} title={submitAfter ? t('contracts2.completeToSubmit', { number: contract.number }) : t('contracts2.editDraft', { number: contract.number })}
      onCancel={onClose} onOk={() => form.submit()} confirmLoading={save.isPending} destroyOnHidden
      okText={submitAfter ? t('contracts2.saveAndSubmit') : t('common.save')} okButtonProps={{ ...({ 'data-testid': 'draft-save' } as object) }}>
      {submitAfter && missing.length > 0 && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} data-testid="missing-for-submit"
          title={t('contracts2.missingTitle')}
          description={missing.map((f) => t(`contracts2.field.${f}`, { defaultValue: f })).join('、')} />
      )}
      <InlineError error={unplaced} />
      <Form form={form} layout="vertical" initialValues={draftValues(contract)} onFinish={(v) => save.mutate(v)} scrollToFirstError>
        <DraftFields form={form} currency={contract.currency} required={submitAfter ? ['start_date', 'end_date'] : []} />
      </Form>
    </Modal>
  );
}

/** Ends a signed or active contract early; the reason is required and kept on the contract. */
export function TerminateModal({ contract, onClose }: { contract: Pick<Contract, 'id' | 'number'>; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ reason: string }>();
  const refresh = useRefresh(contract.id);
  const [unplaced, setUnplaced] = useState<unknown>(null);
  const terminate = useMutation({
    mutationFn: (v: { reason: string }) => unwrap(api.POST('/api/v1/contracts/{contract_id}/terminate', {
      params: { path: { contract_id: contract.id } }, body: { reason: v.reason.trim() } })),
    onMutate: () => setUnplaced(null),
    onSuccess: () => { refresh(); onClose(); },
    onError: (e) => { if (!placeServerErrors(form, e, ['reason'])) setUnplaced(e); },
  });
  return (
    <Modal open title={t('contracts2.terminateTitle', { number: contract.number })} onCancel={onClose} onOk={() => form.submit()}
      confirmLoading={terminate.isPending} okText={t('contracts2.terminateOk')} destroyOnHidden
      okButtonProps={{ danger: true, ...({ 'data-testid': 'terminate-ok' } as object) }}>
      <InlineError error={unplaced} />
      <Form form={form} layout="vertical" onFinish={(v) => terminate.mutate(v)}>
        <Form.Item name="reason" label={t('contracts2.terminateReason')} required
          rules={[{ validator: (_, v) => (!v || !String(v).trim() ? Promise.reject(new Error(t('contracts2.reasonRequired'))) : Promise.resolve()) },
            { max: LIMITS.reason, message: t('contracts2.reasonTooLong', { max: LIMITS.reason }) }]}>
          <Input.TextArea rows={3} maxLength={LIMITS.reason} showCount data-testid="terminate-reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
