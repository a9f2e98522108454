import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Drawer, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../../api/client';
import { useCursorList } from '../../api/hooks';
import { formatDateTime } from '../../i18n/format';
import { useLabels } from '../../i18n/labels';
import { ErrorState, InlineError } from '../../components/States';

type Template = Schemas['TemplateOut'];
export const KINDS = ['welcome', 'customer_assigned', 'lead_assigned', 'lead_existing_customer', 'opportunity_assigned', 'followup_overdue',
  'followup_escalated', 'approval_requested', 'approval_reminder', 'approval_escalated', 'contract_approved', 'contract_rejected',
  'contract_signed', 'contract_renewal_due', 'contract_expired', 'webhook_disabled'] as const;
const CHANNELS = ['in_app', 'email', 'sms'] as const;
const LOCALES = ['zh-CN', 'en'] as const;

/** Message templates per kind, channel and language: edit, add, preview with sample variables. */
export default function Templates() {
  const { t } = useTranslation();
  const label = useLabels();
  const [filter, setFilter] = useState<{ kind?: (typeof KINDS)[number]; channel?: (typeof CHANNELS)[number]; locale?: (typeof LOCALES)[number] }>({});
  const [open, setOpen] = useState<Template | 'new' | null>(null);
  const list = useCursorList<Template>(['templates', filter], (cursor) => unwrap(api.GET('/api/v1/templates', { params: { query: { ...filter, cursor, limit: 200 } } })));
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  return (
    <Card size="small">
      <Space wrap style={{ marginBottom: 12 }}>
        <Select allowClear placeholder={t('admin.templateKind')} aria-label={t('admin.templateKind')} style={{ width: 220 }} value={filter.kind} onChange={(kind) => setFilter((f) => ({ ...f, kind }))} options={label.options('template_kind', KINDS)} />
        <Select allowClear placeholder={t('admin.channel')} aria-label={t('admin.channel')} style={{ width: 120 }} value={filter.channel} onChange={(channel) => setFilter((f) => ({ ...f, channel }))} options={label.options('channel', CHANNELS)} />
        <Select allowClear placeholder={t('common.language')} aria-label={t('common.language')} style={{ width: 120 }} value={filter.locale} onChange={(locale) => setFilter((f) => ({ ...f, locale }))} options={label.options('locale', LOCALES)} />
        <Button type="primary" onClick={() => setOpen('new')}>{t('common.create')}</Button>
      </Space>
      <Table<Template> rowKey="id" size="small" pagination={false} loading={list.isPending} dataSource={list.items} scroll={{ x: 'max-content' }} data-testid="templates"
        onRow={(r) => ({ onClick: () => setOpen(r), style: { cursor: 'pointer' } })} locale={{ emptyText: t('common.empty') }}
        columns={[
          { title: t('admin.templateKind'), dataIndex: 'kind', render: (k: string) => label('template_kind', k) },
          { title: t('admin.channel'), dataIndex: 'channel', render: (c: string) => <Tag>{label('channel', c)}</Tag> },
          { title: t('common.language'), dataIndex: 'locale', render: (l: string) => label('locale', l) },
          { title: t('admin.subject'), dataIndex: 'subject', ellipsis: true },
          { title: '', dataIndex: 'builtin', render: (b) => b && <Tag color="blue">{t('admin.builtin')}</Tag> },
          { title: t('common.createdAt'), dataIndex: 'updated_at', render: formatDateTime },
        ]} />
      {list.hasNextPage && <Button block onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
      {open && <TemplateDrawer template={open === 'new' ? null : open} onClose={() => setOpen(null)} />}
    </Card>
  );
}

const SAMPLES: Record<string, string> = {
  recipient_name: '王芳', contract_number: 'HT202611000001', contract_title: '年度采购合同', customer_name: '上海明远精密机械制造有限公司',
  amount: '1250000.00', currency: 'CNY', owner_name: '李销售', step: '2', step_name: '财务', name: '上海明远精密机械制造有限公司',
  label: '上海明远精密机械制造有限公司', grade: 'high', idle_days: '7', record_type: '客户', end_date: '2027-11-29', url: 'https://erp.example.com/hooks/crm',
};

/** Sample values for a template's variables, for the preview. */
export function sampleVariables(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, SAMPLES[n] ?? n]));
}

type Values = Required<Schemas['TemplateCreate']>;

function TemplateDrawer({ template, onClose }: { template: Template | null; onClose: () => void }) {
  const { t } = useTranslation();
  const label = useLabels();
  const { message, modal } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<Values>();
  const fresh = useQuery({
    queryKey: ['template', template?.id], enabled: !!template,
    queryFn: () => unwrap(api.GET('/api/v1/templates/{template_id}', { params: { path: { template_id: template!.id } } })),
  });
  const current = fresh.data ?? template;
  const [vars, setVars] = useState<string | null>(null);
  const shownVars = vars ?? JSON.stringify(sampleVariables(current?.variables ?? []), null, 2);
  const done = () => { message.success(t('common.saved')); void qc.invalidateQueries({ queryKey: ['templates'] }); void qc.invalidateQueries({ queryKey: ['template'] }); };
  const save = useMutation({
    mutationFn: (v: Values) => (current
      ? unwrap(api.PATCH('/api/v1/templates/{template_id}', { params: { path: { template_id: current.id }, header: { 'If-Match': etagOf(current.version) } }, body: { subject: v.subject, body: v.body } }))
      : unwrap(api.POST('/api/v1/templates', { body: v }))),
    onSuccess: () => { done(); onClose(); },
    onError: (e) => { if (e instanceof ApiError) form.setFields(Object.entries(e.fieldErrors()).filter(([k]) => ['kind', 'channel', 'locale', 'subject', 'body'].includes(k)).map(([name, m]) => ({ name: name as keyof Values, errors: [m] }))); },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/templates/{template_id}', { params: { path: { template_id: current!.id } } })),
    onSuccess: () => { done(); onClose(); },
  });
  const preview = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/templates/{template_id}/preview', { params: { path: { template_id: current!.id } }, body: { variables: JSON.parse(shownVars || '{}') } })),
  });
  return (
    <Drawer open width={Math.min(640, window.innerWidth)} onClose={onClose} title={current ? `${label('template_kind', current.kind)} · ${label('channel', current.channel)} · ${label('locale', current.locale)}` : t('common.create')}>
      <InlineError error={save.error ?? remove.error} />
      <Form form={form} layout="vertical" key={current?.version ?? 'new'} onFinish={(v) => save.mutate(v)}
        initialValues={current ? { kind: current.kind, channel: current.channel, locale: current.locale, subject: current.subject, body: current.body } : { channel: 'email', locale: 'zh-CN' }}>
        <Space wrap>
          <Form.Item name="kind" label={t('admin.templateKind')} rules={[{ required: true }]}><Select disabled={!!current} style={{ width: 220 }} options={label.options('template_kind', KINDS)} /></Form.Item>
          <Form.Item name="channel" label={t('admin.channel')}><Select disabled={!!current} style={{ width: 120 }} options={label.options('channel', CHANNELS)} /></Form.Item>
          <Form.Item name="locale" label={t('common.language')}><Select disabled={!!current} style={{ width: 120 }} options={label.options('locale', LOCALES)} /></Form.Item>
        </Space>
        <Form.Item name="subject" label={t('admin.subject')}><Input /></Form.Item>
        <Form.Item name="body" label={t('admin.body')} rules={[{ required: true }]}><Input.TextArea rows={6} style={{ fontFamily: 'monospace' }} /></Form.Item>
        {current && current.variables.length > 0 && (
          <Typography.Paragraph type="secondary">{current.variables.map((v) => <Tag key={v}>{`{${v}}`}</Tag>)}</Typography.Paragraph>
        )}
        <Space>
          <Button type="primary" htmlType="submit" loading={save.isPending}>{t('common.save')}</Button>
          {current && !current.builtin && <Button danger onClick={() => modal.confirm({ title: t('common.confirm'), onOk: () => remove.mutateAsync().catch(() => undefined) })}>{t('common.delete')}</Button>}
        </Space>
      </Form>
      {current && (
        <Card size="small" title={t('admin.preview')} style={{ marginTop: 16 }}>
          <InlineError error={preview.error} />
          <Input.TextArea rows={6} value={shownVars} aria-label={t('admin.preview')} onChange={(e) => setVars(e.target.value)} style={{ fontFamily: 'monospace', fontSize: 12 }} />
          <Button style={{ margin: '8px 0' }} loading={preview.isPending} onClick={() => preview.mutate()} data-testid="preview">{t('admin.preview')}</Button>
          {preview.data && (
            <div data-testid="preview-out">
              <Typography.Text strong>{preview.data.subject}</Typography.Text>
              <pre style={{ whiteSpace: 'pre-wrap', background: '#fafafa', padding: 12 }}>{preview.data.body}</pre>
            </div>
          )}
        </Card>
      )}
    </Drawer>
  );
}
