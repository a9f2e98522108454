import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../api/client';
import { useUserNames } from '../api/hooks';
import { fmtDate, fmtMoney, fmtTime } from '../components/bits';
import { InlineError, QueryState } from '../components/States';
import { fmtHours } from './contractBits';
import { useLabels } from '../i18n/labels';

type Opp = Schemas['OpportunityOut'];
const FORM_FIELDS = ['name', 'amount', 'quote_reference', 'expected_close_date'];

/** A server error shows once: at its field when the form has that field, else above the form. */
function unplacedError(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e;
  const fields = Object.keys(e.fieldErrors());
  return fields.length > 0 && fields.every((f) => FORM_FIELDS.includes(f)) ? null : e;
}
interface Edit { name?: string; amount?: string; quote_reference?: string; expected_close_date?: Dayjs | null }

/** One opportunity: its fields (to meet a stage's requirements), stage history, won / lost. */
export function OpportunityDrawer({ id, pipeline, writable, onClose }: { id: string; pipeline: Schemas['PipelineOut']; writable: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const { name: userName } = useUserNames();
  const label = useLabels();
  const [form] = Form.useForm<Edit>();
  const [lostReason, setLostReason] = useState('');
  const [losing, setLosing] = useState(false);
  const opp = useQuery({ queryKey: ['opportunity', id], queryFn: () => unwrap(api.GET('/api/v1/opportunities/{opportunity_id}', { params: { path: { opportunity_id: id } } })) });
  const history = useQuery({ queryKey: ['opportunity', id, 'history'], queryFn: () => unwrap(api.GET('/api/v1/opportunities/{opportunity_id}/history', { params: { path: { opportunity_id: id } } })) });
  const patch = useMutation({
    mutationFn: (body: Schemas['OpportunityUpdate']) => unwrap(api.PATCH('/api/v1/opportunities/{opportunity_id}', {
      params: { path: { opportunity_id: id }, header: { 'If-Match': etagOf(opp.data!.version) } }, body })),
    onSuccess: () => {
      message.success(t('common.saved'));
      setLosing(false);
      void qc.invalidateQueries({ queryKey: ['opportunity', id] });
      void qc.invalidateQueries({ queryKey: ['opportunities'] });
    },
    onError: (e) => {
      if (e instanceof ApiError) form.setFields(Object.entries(e.fieldErrors()).filter(([k]) => FORM_FIELDS.includes(k)).map(([name, m]) => ({ name: name as keyof Edit, errors: [m] })));
      if (e instanceof ApiError && e.status === 412) void qc.invalidateQueries({ queryKey: ['opportunity', id] });
    },
  });
  const won = pipeline.stages.find((s) => s.kind === 'won');
  const lost = pipeline.stages.find((s) => s.kind === 'lost');
  return (
    <Drawer open onClose={onClose} width={Math.min(560, window.innerWidth)} title={opp.data ? `${opp.data.number} ${opp.data.name}` : t('common.loading')}>
      <QueryState query={opp}>
        {(o: Opp) => (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <InlineError error={unplacedError(patch.error)} />
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('pipeline.stage')}>{pipeline.stages.find((s) => s.id === o.stage_id)?.name} <Tag>{label('opportunity_status', o.status)}</Tag>{o.lost_reason ? ` — ${o.lost_reason}` : ''}</Descriptions.Item>
              <Descriptions.Item label={t('pipeline.customer')}><Link to={`/customers/${o.customer_id}`}>{o.customer_name}</Link></Descriptions.Item>
              <Descriptions.Item label={t('common.amount')}>{fmtMoney(o.amount, o.currency)} ({t('pipeline.weighted')} {fmtMoney(o.weighted_amount, o.currency)})</Descriptions.Item>
              <Descriptions.Item label={t('pipeline.probability')}>{o.probability}%</Descriptions.Item>
              <Descriptions.Item label={t('pipeline.closeDate')}>{fmtDate(o.expected_close_date)}</Descriptions.Item>
              <Descriptions.Item label={t('common.owner')}>{userName(o.owner_id)}</Descriptions.Item>
            </Descriptions>
            {writable && o.status === 'open' && (
              <>
                <Form form={form} layout="vertical" key={o.version} onFinish={(v) => patch.mutate({
                  name: v.name, amount: v.amount ?? null, quote_reference: v.quote_reference || null,
                  expected_close_date: v.expected_close_date ? v.expected_close_date.format('YYYY-MM-DD') : null })}
                  initialValues={{ name: o.name, amount: o.amount ?? undefined, quote_reference: o.quote_reference ?? undefined, expected_close_date: o.expected_close_date ? dayjs(o.expected_close_date) : null }}>
                  <Form.Item name="name" label={t('common.name')}><Input /></Form.Item>
                  <Space wrap>
                    <Form.Item name="amount" label={t('common.amount')}><InputNumber min={0} stringMode style={{ width: 180 }} /></Form.Item>
                    <Form.Item name="quote_reference" label={t('pipeline.quoteRef')}><Input data-testid="quote-reference" /></Form.Item>
                    <Form.Item name="expected_close_date" label={t('pipeline.closeDate')}><DatePicker /></Form.Item>
                  </Space>
                  <Button htmlType="submit" loading={patch.isPending} data-testid="save-opportunity">{t('common.save')}</Button>
                </Form>
                {/* Moving by touch or keyboard: the stage as a field, not only a drag on the board. */}
                <Form.Item label={t('pipeline.changeStage')} style={{ marginBottom: 8 }}>
                  <Select value={o.stage_id} data-testid="stage-select" aria-label={t('pipeline.changeStage')}
                    options={pipeline.stages.map((st) => ({ value: st.id, label: st.name }))}
                    onChange={(stageId) => {
                      if (stageId === lost?.id) { setLosing(true); return; }
                      patch.mutate({ stage_id: stageId });
                    }} />
                </Form.Item>
                <Space wrap>
                  {won && <Button type="primary" onClick={() => patch.mutate({ stage_id: won.id })}>{t('pipeline.markWon')}</Button>}
                  {lost && <Button danger onClick={() => setLosing(true)}>{t('pipeline.markLost')}</Button>}
                </Space>
                {losing && lost && (
                  <Space.Compact style={{ width: '100%' }}>
                    <Input placeholder={t('pipeline.lostReason')} value={lostReason} onChange={(e) => setLostReason(e.target.value)} />
                    <Button danger type="primary" disabled={!lostReason.trim()} onClick={() => patch.mutate({ stage_id: lost.id, lost_reason: lostReason.trim() })}>{t('common.submit')}</Button>
                  </Space.Compact>
                )}
              </>
            )}
            <Typography.Title level={5}>{t('pipeline.history')}</Typography.Title>
            <QueryState query={history} empty={(h) => h.length === 0}>
              {(h) => (
                <Table rowKey={(v) => `${v.stage_id}-${v.entered_at}`} size="small" pagination={false} dataSource={h} scroll={{ x: 'max-content' }} columns={[
                  { title: t('pipeline.stage'), dataIndex: 'stage_name' },
                  { title: t('common.createdAt'), dataIndex: 'entered_at', render: fmtTime },
                  { title: t('contracts.duration'), dataIndex: 'seconds_in_stage', render: fmtHours },
                  { title: t('common.owner'), dataIndex: 'entered_by_label' },
                ]} />
              )}
            </QueryState>
          </Space>
        )}
      </QueryState>
    </Drawer>
  );
}
