import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Checkbox, Drawer, Empty, Form, Input, Select, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, rawJson } from '../../api/client';
import { formatDateTime } from '../../i18n/format';
import { useLabels } from '../../i18n/labels';
import { InlineError, QueryState } from '../../components/States';
import TypedTemplates from './Templates';

// Webhooks are read untyped through rawJson, and a server without the webhooks API (404) gets
// a notice instead of an error.
type Rec = Record<string, unknown> & { id: string };
const itemsOf = (d: unknown): Rec[] => (Array.isArray(d) ? d : ((d as { items?: Rec[] })?.items ?? [])) as Rec[];
const text = (v: unknown): React.ReactNode => (v == null || v === '' ? '—' : String(v));
const time = (v: unknown): string => (typeof v === 'string' ? formatDateTime(v) : '—');

/** An event type as its label, with the code on hover for whoever writes the receiver. */
function EventTag({ code }: { code: string }) {
  const label = useLabels();
  return <Tag title={code}>{label('webhook_event', code)}</Tag>;
}

function NotYet({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error instanceof ApiError && error.status === 404) return <Empty description={t('admin.notAvailable')} />;
  return null;
}

export default function Integrations({ kind }: { kind: 'webhooks' | 'templates' }) {
  return kind === 'webhooks' ? <Webhooks /> : <TypedTemplates />;
}

function Webhooks() {
  const { t } = useTranslation();
  const label = useLabels();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['webhooks'], queryFn: () => rawJson<unknown>('GET', '/api/v1/webhooks?limit=200') });
  const types = useQuery({ queryKey: ['webhooks', 'event-types'], queryFn: () => rawJson<unknown>('GET', '/api/v1/webhooks/event-types') });
  const eventTypes: string[] = (Array.isArray(types.data) ? types.data : itemsOf(types.data)).map((x: unknown) => (typeof x === 'string' ? x : String((x as Rec).name ?? (x as Rec).type ?? (x as Rec).id)));
  const [open, setOpen] = useState<Rec | null>(null);
  const [form] = Form.useForm<{ url: string; event_types: string[]; description?: string; allow_private?: boolean }>();
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (v: { url: string; event_types: string[]; description?: string; allow_private?: boolean }) => rawJson<Rec>('POST', '/api/v1/webhooks', v),
    onSuccess: (w) => { form.resetFields(); setSecret(typeof w.secret === 'string' ? w.secret : null); void qc.invalidateQueries({ queryKey: ['webhooks'] }); },
  });
  const [until, setUntil] = useState<string | null>(null);
  const rotate = useMutation({
    mutationFn: (w: Rec) => rawJson<Rec>('POST', `/api/v1/webhooks/${w.id}/rotate-secret`),
    onSuccess: (w) => {
      setSecret(typeof w.secret === 'string' ? w.secret : null);
      setUntil(typeof w.previous_secret_until === 'string' ? w.previous_secret_until : null);
      void qc.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  if (list.isError && list.error instanceof ApiError && list.error.status === 404) return <NotYet error={list.error} />;
  return (
    <Card size="small">
      <InlineError error={create.error ?? rotate.error} />
      {secret && <Typography.Paragraph type="warning">{t('admin.secretOnce')} <Typography.Text code copyable data-testid="webhook-secret">{secret}</Typography.Text>
        {until && <><br />{t('admin.rotatedOverlap', { until: formatDateTime(until) })}</>}</Typography.Paragraph>}
      <Form form={form} layout="inline" onFinish={(v) => create.mutate(v)} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="url" rules={[{ required: true }]}><Input placeholder="https://…" aria-label={t('admin.url')} style={{ width: 280 }} /></Form.Item>
        <Form.Item name="event_types" rules={[{ required: true }]}><Select mode="tags" placeholder={t('admin.events')} aria-label={t('admin.events')} style={{ minWidth: 240 }} data-testid="webhook-events"
          // Found by its label or by its code (what receivers' docs call it).
          filterOption={(input, option) => [option?.value, option?.label].some((x) => String(x ?? '').toLowerCase().includes(input.toLowerCase()))}
          options={eventTypes.map((e) => ({ value: e, label: label('webhook_event', e) }))} /></Form.Item>
        <Form.Item name="allow_private" valuePropName="checked"><Checkbox title={t('admin.allowPrivateHelp')}>{t('admin.allowPrivate')}</Checkbox></Form.Item>
        <Form.Item name="description"><Input placeholder={t('common.details')} aria-label={t('common.details')} /></Form.Item>
        <Button type="primary" htmlType="submit" loading={create.isPending}>{t('common.create')}</Button>
      </Form>
      <QueryState query={list} empty={(d) => itemsOf(d).length === 0}>
        {(d) => (
          <Table rowKey="id" size="small" pagination={false} scroll={{ x: 'max-content' }} dataSource={itemsOf(d)}
            columns={[
              { title: t('admin.url'), dataIndex: 'url', render: text },
              { title: t('common.details'), dataIndex: 'description', render: text },
              { title: t('admin.events'), dataIndex: 'event_types', render: (v: unknown) => (Array.isArray(v) ? v.map((e) => <EventTag key={String(e)} code={String(e)} />) : '—') },
              { title: t('admin.hookActive'), dataIndex: 'active', render: (v: unknown, r: Rec) => (v
                ? <Tag color="green">{t('admin.hookOn')}</Tag>
                : <Tag color="red" title={typeof r.disabled_reason === 'string' ? r.disabled_reason : undefined}>{t('admin.hookOff')}</Tag>) },
              { title: t('admin.allowPrivate'), dataIndex: 'allow_private', render: (v: unknown) => (v ? t('common.yes') : t('common.no')) },
              { title: t('common.createdAt'), dataIndex: 'created_at', render: time },
              { title: t('common.actions'), render: (_: unknown, r: Rec) => <>
              <Button size="small" onClick={() => setOpen(r)}>{t('admin.deliveries')}</Button>{' '}
              <Button size="small" onClick={() => rotate.mutate(r)} loading={rotate.isPending}>{t('admin.rotateSecret')}</Button></> }]} />
        )}
      </QueryState>
      {open && <Deliveries hook={open} onClose={() => setOpen(null)} />}
    </Card>
  );
}

function Deliveries({ hook, onClose }: { hook: Rec; onClose: () => void }) {
  const { t } = useTranslation();
  const label = useLabels();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['webhooks', hook.id, 'deliveries'], queryFn: () => rawJson<unknown>('GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=100`) });
  const redeliver = useMutation({
    mutationFn: (d: Rec) => rawJson<Rec>('POST', `/api/v1/webhooks/${hook.id}/deliveries/${d.id}/redeliver`),
    onSuccess: () => { message.success(t('common.saved')); void qc.invalidateQueries({ queryKey: ['webhooks', hook.id, 'deliveries'] }); },
  });
  return (
    <Drawer open width={Math.min(900, window.innerWidth)} onClose={onClose} title={`${t('admin.deliveries')}: ${String(hook.url ?? hook.id)}`}>
      <InlineError error={redeliver.error} />
      <QueryState query={list} empty={(d) => itemsOf(d).length === 0}>
        {(d) => (
          <Table rowKey="id" size="small" pagination={false} scroll={{ x: 'max-content' }} dataSource={itemsOf(d)}
            columns={[
              { title: t('admin.eventType'), dataIndex: 'event_type', render: (v: unknown) => <EventTag code={String(v)} /> },
              { title: t('admin.deliveryStatus'), dataIndex: 'status', render: (v: unknown) => label('delivery_status', String(v ?? '')) },
              { title: t('admin.attempts'), dataIndex: 'attempts', render: text },
              { title: t('admin.responseStatus'), dataIndex: 'response_status', render: text },
              { title: t('admin.latency'), dataIndex: 'latency_ms', render: text },
              { title: t('admin.lastError'), dataIndex: 'last_error', render: text },
              { title: t('admin.lastAttemptAt'), dataIndex: 'last_attempt_at', render: time },
              { title: t('admin.deliveredAt'), dataIndex: 'delivered_at', render: time },
              { title: t('common.actions'), render: (_: unknown, r: Rec) => <Button size="small" onClick={() => redeliver.mutate(r)} loading={redeliver.isPending}>{t('admin.redeliver')}</Button> }]} />
        )}
      </QueryState>
    </Drawer>
  );
}
