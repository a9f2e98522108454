import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Input, Modal, Space, Steps, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, etagOf, unwrap, type Schemas } from '../api/client';
import { useUserNames } from '../api/hooks';
import { InlineError, QueryState } from '../components/States';
import { can, useMe } from '../app/session';
import { formatDate, formatDateTime, formatMoney } from '../i18n/format';
import { useLabels } from '../i18n/labels';
import { ContractStatusTag, useDuration } from './contractBits';
import { EditContractModal, TerminateModal } from './ContractDialogs';

type Contract = Schemas['ContractOut'];
type Step = Schemas['StepOut'];

const STEP_STATUS: Record<string, 'wait' | 'process' | 'finish' | 'error'> = { waiting: 'wait', pending: 'process', approved: 'finish', rejected: 'error', cancelled: 'wait' };

/** The step the caller may decide now, if any. */
export function myPendingStep(c: Contract, meId: string | undefined): Step | undefined {
  return c.steps.find((s) => s.round === c.round && s.status === 'pending' && (s.assignee_id === meId || s.escalated_to === meId));
}

/** Approve and reject; `block` lays them side by side at full width (a card on a phone). */
export function DecisionButtons({ contract, step, onDone, block = false }: { contract: Pick<Contract, 'id' | 'number'>; step: number; onDone?: () => void; block?: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [rejecting, setRejecting] = useState(false);
  const [approving, setApproving] = useState(false);
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: (approve: boolean) => unwrap(approve
      ? api.POST('/api/v1/contracts/{contract_id}/approvals/{step}/approve', { params: { path: { contract_id: contract.id, step } }, body: { comment: comment || null } })
      : api.POST('/api/v1/contracts/{contract_id}/approvals/{step}/reject', { params: { path: { contract_id: contract.id, step } }, body: { comment } })),
    onSuccess: () => {
      message.success(t('common.saved'));
      setRejecting(false); setApproving(false); setComment('');
      void qc.invalidateQueries({ queryKey: ['contract', contract.id] });
      void qc.invalidateQueries({ queryKey: ['contracts'] });
      void qc.invalidateQueries({ queryKey: ['approvals'] });
      onDone?.();
    },
  });
  return (
    <>
      <div style={block ? { display: 'flex', gap: 8 } : { display: 'inline-flex', gap: 8 }}>
        <Button type="primary" block={block} size={block ? 'large' : 'middle'} style={block ? { flex: 1 } : undefined} onClick={() => setApproving(true)} data-testid={`approve-${contract.number}`}>{t('contracts.approve')}</Button>
        <Button danger block={block} size={block ? 'large' : 'middle'} style={block ? { flex: 1 } : undefined} onClick={() => setRejecting(true)} data-testid={`reject-${contract.number}`}>{t('contracts.reject')}</Button>
      </div>
      <Modal open={approving || rejecting} title={`${approving ? t('contracts.approve') : t('contracts.reject')} ${contract.number}`}
        onCancel={() => { setApproving(false); setRejecting(false); }} confirmLoading={decide.isPending} cancelText={t('common.cancel')}
        okText={approving ? t('contracts.approve') : t('contracts.reject')}
        okButtonProps={{ disabled: rejecting && !comment.trim(), danger: rejecting, ...({ 'data-testid': 'decision-ok' } as object) }}
        onOk={() => decide.mutate(approving)}>
        <InlineError error={decide.error} />
        <Input.TextArea rows={3} maxLength={2000} aria-label={t('common.comment')} placeholder={rejecting ? t('contracts2.rejectReason') : t('common.comment')} value={comment} onChange={(e) => setComment(e.target.value)} data-testid="decision-comment" />
      </Modal>
    </>
  );
}

export default function ContractPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const me = useMe();
  const qc = useQueryClient();
  const { name: userName } = useUserNames();
  const contract = useQuery({ queryKey: ['contract', id], queryFn: () => unwrap(api.GET('/api/v1/contracts/{contract_id}', { params: { path: { contract_id: id } } })) });
  const history = useQuery({ queryKey: ['contract', id, 'approvals'], queryFn: () => unwrap(api.GET('/api/v1/contracts/{contract_id}/approvals', { params: { path: { contract_id: id } } })) });
  const label = useLabels();
  const duration = useDuration();
  const [dialog, setDialog] = useState<'edit' | 'complete' | 'terminate' | null>(null);
  const act = useMutation({
    mutationFn: async (action: 'submit' | 'sign' | 'activate' | 'payment-received' | 'complete' | 'delete') => {
      const p = { params: { path: { contract_id: id } } };
      const c = contract.data!;
      switch (action) {
        case 'submit': return unwrap(api.POST('/api/v1/contracts/{contract_id}/submit', { params: { path: { contract_id: id }, header: { 'If-Match': etagOf(c.version) } } }));
        case 'sign': return unwrap(api.POST('/api/v1/contracts/{contract_id}/sign', p));
        case 'activate': return unwrap(api.POST('/api/v1/contracts/{contract_id}/activate', p));
        case 'payment-received': return unwrap(api.POST('/api/v1/contracts/{contract_id}/payment-received', p));
        case 'complete': return unwrap(api.POST('/api/v1/contracts/{contract_id}/complete', p));
        case 'delete': return unwrap(api.DELETE('/api/v1/contracts/{contract_id}', { params: { path: { contract_id: id }, header: { 'If-Match': etagOf(c.version) } } }));
      }
    },
    onSuccess: () => { message.success(t('common.saved')); void qc.invalidateQueries({ queryKey: ['contract', id] }); void qc.invalidateQueries({ queryKey: ['contracts'] }); },
  });

  if (contract.isPending || contract.isError) return <QueryState query={contract}>{() => null}</QueryState>;
  const c = contract.data;
  const writable = can(me.data, 'contracts:write');
  const mine = myPendingStep(c, me.data?.id);
  const action = (a: Parameters<typeof act.mutate>[0], label: string, primary = false) => (
    <Button key={a} type={primary ? 'primary' : 'default'} loading={act.isPending && act.variables === a} data-testid={`action-${a}`}
      onClick={() => modal.confirm({ title: t('contracts2.confirmAction', { action: label, number: c.number }), onOk: () => act.mutateAsync(a).catch(() => undefined) })}>{label}</Button>
  );
  const editable = writable && (c.status === 'draft' || c.status === 'rejected');
  // A rejected contract goes back to draft when edited; one that lacks what submitting needs
  // is completed first. Either way the dialog saves, then submits.
  const needsCompleting = c.status === 'rejected' || c.missing_for_submit.length > 0;
  const round = c.steps.filter((s) => s.round === c.round);

  return (
    <div data-testid="contract-detail">
      <Card style={{ marginBottom: 16 }}>
        <Space wrap align="center" style={{ marginBottom: 12 }}>
          <Typography.Title level={3} style={{ margin: 0 }}>{c.title}</Typography.Title>
          <ContractStatusTag status={c.status} />
          <Typography.Text type="secondary">{c.number}</Typography.Text>
        </Space>
        <InlineError error={act.error} />
        <Space wrap style={{ marginBottom: 12 }}>
          {editable && (needsCompleting
            ? <Button type="primary" onClick={() => setDialog('complete')} data-testid="action-submit">{t('contracts.submit')}</Button>
            : action('submit', t('contracts.submit'), true))}
          {editable && <Button onClick={() => setDialog('edit')} data-testid="action-edit">{t('contracts2.edit')}</Button>}
          {writable && c.status === 'draft' && action('delete', t('common.delete'))}
          {mine && <DecisionButtons contract={c} step={mine.step} />}
          {writable && c.status === 'approved' && action('sign', t('contracts.sign'), true)}
          {writable && c.status === 'signed' && action('activate', t('contracts.activate'), true)}
          {c.status === 'active' && action('payment-received', t('contracts.paymentReceived'), true)}
          {writable && c.status === 'active' && action('complete', t('contracts.complete'))}
          {writable && (c.status === 'signed' || c.status === 'active') && (
            <Button danger onClick={() => setDialog('terminate')} data-testid="action-terminate">{t('contracts.terminate')}</Button>)}
        </Space>
        {editable && c.missing_for_submit.length > 0 && (
          <Alert type="warning" showIcon style={{ marginBottom: 12 }} data-testid="missing-banner"
            title={t('contracts2.missingBanner', { fields: c.missing_for_submit.map((m) => t(`contracts2.field.${m.field}`, { defaultValue: m.field })).join('、') })} />
        )}
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }}>
          <Descriptions.Item label={t('contracts.customer')}><Link to={`/customers/${c.customer_id}`}>{c.customer_name}</Link></Descriptions.Item>
          <Descriptions.Item label={t('contracts.amount')}><span data-testid="contract-amount">{formatMoney(c.amount, c.currency)}</span></Descriptions.Item>
          <Descriptions.Item label={t('common.owner')}>{userName(c.owner_id)}</Descriptions.Item>
          <Descriptions.Item label={t('contracts.start')}>{formatDate(c.start_date)}</Descriptions.Item>
          <Descriptions.Item label={t('contracts.end')}>{formatDate(c.end_date)}</Descriptions.Item>
          <Descriptions.Item label={t('contracts.paymentTerms')}>{c.payment_terms ?? '—'}</Descriptions.Item>
          {c.termination_reason && <Descriptions.Item label={t('common.reason')}>{c.termination_reason}</Descriptions.Item>}
        </Descriptions>
      </Card>
      {round.length > 0 && (
        <Card size="small" title={`${t('contracts.round')} ${c.round}`} style={{ marginBottom: 16 }}>
          <Steps responsive items={round.map((s) => ({
            title: label('approval_step_role', s.role), status: STEP_STATUS[s.status],
            description: <>{label('approval_state', s.status)} · {userName(s.decided_by ?? s.assignee_id)}{s.decided_at ? ` · ${formatDateTime(s.decided_at)}` : ''}{s.comment ? <div>“{s.comment}”</div> : null}</>,
          }))} />
        </Card>
      )}
      <Card size="small" title={t('contracts.lines')} style={{ marginBottom: 16 }}>
        <Table rowKey={(_, i) => String(i)} size="small" pagination={false} dataSource={c.lines} scroll={{ x: 'max-content' }}
          columns={[
            { title: t('contracts.product'), dataIndex: 'product' },
            { title: t('contracts.quantity'), dataIndex: 'quantity', align: 'right' },
            { title: t('contracts.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (v) => formatMoney(v, c.currency) },
            { title: t('contracts.discount'), dataIndex: 'discount', align: 'right', render: (v) => `${v}%` },
            { title: t('contracts.total'), dataIndex: 'total', align: 'right', render: (v) => formatMoney(v, c.currency) },
          ]}
          summary={() => (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={4}><b>{t('common.total')}</b></Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right"><b>{formatMoney(c.amount, c.currency)}</b></Table.Summary.Cell>
            </Table.Summary.Row>
          )} />
      </Card>
      <Card size="small" title={t('contracts.approvals')}>
        <QueryState query={history} empty={(h) => h.rounds.length === 0}>
          {(h) => (
            <Space orientation="vertical" style={{ width: '100%' }} data-testid="approval-history">
              {h.rounds.map((r) => (
                <div key={r.round}>
                  <Typography.Text strong>{t('contracts.round')} {r.round}</Typography.Text> <Tag>{label('approval_state', r.outcome)}</Tag>
                  <Table rowKey="step" size="small" pagination={false} dataSource={r.steps} scroll={{ x: 'max-content' }}
                    columns={[
                      { title: t('contracts.step'), dataIndex: 'step' },
                      { title: t('contracts.role'), dataIndex: 'role', render: (v) => label('approval_step_role', v) },
                      { title: t('common.status'), dataIndex: 'status', render: (v) => label('approval_state', v) },
                      { title: t('contracts.decidedBy'), dataIndex: 'decided_by', render: (v, s) => userName(v ?? s.assignee_id) },
                      { title: t('contracts.decidedAt'), dataIndex: 'decided_at', render: formatDateTime },
                      { title: t('contracts.duration'), dataIndex: 'seconds_taken', render: duration },
                      { title: t('common.comment'), dataIndex: 'comment' },
                    ]} />
                </div>
              ))}
            </Space>
          )}
        </QueryState>
      </Card>
      {(dialog === 'edit' || dialog === 'complete') && <EditContractModal contract={c} submitAfter={dialog === 'complete'} onClose={() => setDialog(null)} />}
      {dialog === 'terminate' && <TerminateModal contract={c} onClose={() => setDialog(null)} />}
    </div>
  );
}
