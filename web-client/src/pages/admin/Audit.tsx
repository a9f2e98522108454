import { Button, Card, DatePicker, Input, Select, Space, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Schemas } from '../../api/client';
import { useCursorList, useUserNames } from '../../api/hooks';
import { RecordList } from '../../components/RecordList';
import { ErrorState } from '../../components/States';
import { formatDateTime } from '../../i18n/format';
import { auditActionLabel, useLabels } from '../../i18n/labels';

type Entry = Schemas['AuditEntryOut'];
interface Filter { actor_id?: string; target_type?: string; target_id?: string; action?: string; since?: string; until?: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Fields whose values are codes with labels; `status` depends on what the record is.
const FIELD_KINDS: Record<string, string> = {
  grade: 'customer_status', tier: 'customer_tier', industry: 'industry', region: 'region', source: 'lead_source',
  size: 'company_size', company_size: 'company_size', kind: 'customer_kind', method: 'followup_method', role: 'role',
  contract_status: 'contract_status', scopes: 'scope', event_types: 'webhook_event', policy: 'import_policy',
};
const STATUS_KINDS: Record<string, string> = {
  contract: 'contract_status', lead: 'lead_status', opportunity: 'opportunity_status', task: 'task_status', followup: 'followup_status',
};

/** One changed field as "field: before → after", with user ids shown as names. */
function Change({ field, before, after, userName, targetType }: {
  field: string; before: unknown; after: unknown; userName: (id: string) => string | null; targetType: string | null;
}) {
  const label = useLabels();
  const kind = field === 'status' ? STATUS_KINDS[targetType ?? ''] : FIELD_KINDS[field];
  const show = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '—';
    if (kind && typeof v === 'string') return label(kind, v);
    if (typeof v === 'string' && UUID.test(v)) return userName(v) ?? `${v.slice(0, 8)}…`;
    if (typeof v === 'boolean') return v ? '✓' : '✗';
    if (Array.isArray(v)) return v.map(show).join(', ') || '—';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };
  return (
    <div style={{ fontSize: 12 }}>
      <Typography.Text type="secondary">{label('audit_field', field)}: </Typography.Text>
      <Typography.Text delete={after !== undefined}>{show(before)}</Typography.Text>
      {' → '}
      <Typography.Text>{show(after)}</Typography.Text>
    </div>
  );
}

/** The diff of an entry: {field: [before, after]} as lines; anything else as its fields. */
function Diff({ diff, userName, targetType }: {
  diff: Record<string, unknown>; userName: (id: string) => string | null; targetType: string | null;
}) {
  const fields = Object.entries(diff);
  if (!fields.length) return <>—</>;
  return (
    <>
      {fields.slice(0, 8).map(([field, value]) => (Array.isArray(value) && value.length === 2
        ? <Change key={field} field={field} before={value[0]} after={value[1]} userName={userName} targetType={targetType} />
        : <Change key={field} field={field} before={undefined} after={value} userName={userName} targetType={targetType} />))}
      {fields.length > 8 && <Typography.Text type="secondary">…</Typography.Text>}
    </>
  );
}

export function Audit() {
  const { t } = useTranslation();
  const label = useLabels();
  const { users, name } = useUserNames();
  // A name for an id that is a user's (name() falls back to the id's first characters).
  const userName = (id: string) => { const n = name(id); return n === id.slice(0, 8) ? null : n; };
  const actorOf = (e: Entry) => (e.actor_id ? userName(e.actor_id) : null);
  const [filter, setFilter] = useState<Filter>({});
  const set = (patch: Filter) => setFilter((f) => ({ ...f, ...patch }));
  const list = useCursorList<Entry>(['audit', filter], (cursor) => unwrap(api.GET('/api/v1/audit-log', {
    params: { query: { ...filter, cursor, limit: 100 } } })));
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  const types = ['customer', 'contact', 'lead', 'opportunity', 'contract', 'user', 'department', 'api_key', 'webhook', 'template',
    'custom_field', 'segment', 'tag', 'import', 'export', 'pipeline'];
  return (
    <Card size="small">
      <Space wrap style={{ marginBottom: 12 }}>
        <Select allowClear showSearch optionFilterProp="label" style={{ width: 180 }} placeholder={t('admin.allUsers')}
          aria-label={t('admin.actor')} value={filter.actor_id} onChange={(actor_id) => set({ actor_id })}
          options={users.map((u) => ({ value: u.id, label: u.name }))} />
        <Select allowClear style={{ width: 160 }} placeholder={t('admin.allTypes')} aria-label={t('admin.target')}
          value={filter.target_type} onChange={(target_type) => set({ target_type })}
          options={types.map((v) => ({ value: v, label: label('audit_object', v) }))} />
        <Input.Search allowClear placeholder={t('admin.targetId')} aria-label={t('admin.targetId')} style={{ width: 220 }}
          onSearch={(v) => set({ target_id: v.trim() || undefined })} />
        <Input.Search allowClear placeholder={t('admin.action')} aria-label={t('admin.action')} style={{ width: 200 }}
          onSearch={(v) => set({ action: v.trim() || undefined })} />
        <DatePicker.RangePicker showTime aria-label={t('admin.period')}
          onChange={(range: [Dayjs | null, Dayjs | null] | null) => set({
            since: range?.[0]?.toISOString() ?? undefined, until: range?.[1]?.toISOString() ?? undefined })} />
      </Space>
      <div data-testid="audit-log">
      <RecordList<Entry> rowKey="id" size="small" dataSource={list.items} loading={list.isPending}
        columns={[
          { title: t('admin.at'), dataIndex: 'at', render: formatDateTime },
          { title: t('admin.actor'), dataIndex: 'actor_label', render: (v: string, e) => actorOf(e) ?? v },
          { title: t('admin.action'), dataIndex: 'action', render: (a: string) => <span title={a}>{auditActionLabel(a)}</span> },
          { title: t('admin.target'), render: (_, e) => (e.target_type
            ? <span title={e.target_id ?? undefined}>{label('audit_object', e.target_type)}</span> : '—') },
          { title: t('admin.changes'), dataIndex: 'diff', onCell: () => ({ style: { maxWidth: 420, whiteSpace: 'normal', wordBreak: 'break-word' } }),
            render: (d: Record<string, unknown>, e) => <Diff diff={d} userName={userName} targetType={e.target_type} /> },
          { title: t('admin.ip'), dataIndex: 'ip', render: (v) => v ?? '—' },
        ]}
        card={(e) => (
          <div>
            <Space wrap size={4}>
              <Typography.Text strong>{auditActionLabel(e.action)}</Typography.Text>
              <Typography.Text type="secondary">{formatDateTime(e.at)}</Typography.Text>
            </Space>
            <div><Typography.Text type="secondary">{t('admin.actor')}: </Typography.Text>{actorOf(e) ?? e.actor_label}</div>
            <Diff diff={e.diff} userName={userName} targetType={e.target_type} />
          </div>
        )} />
      </div>
      {list.hasNextPage && <Button block onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
    </Card>
  );
}
