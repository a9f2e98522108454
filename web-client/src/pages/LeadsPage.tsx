import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App, Button, Checkbox, Descriptions, Drawer, Form, Input, InputNumber, Modal, Popover, Select, Space, Table, Tag, Timeline, Typography,
} from 'antd';
import { useState, type Key, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../api/client';
import { useCursorList, useUserNames } from '../api/hooks';
import { LeadGradeTag, fmtTime, fmtMoney } from '../components/bits';
import { ErrorState, InlineError, QueryState, errorText } from '../components/States';
import { can, useMe } from '../app/session';
import { RecordList } from '../components/RecordList';
import {
  BulkBar, ColumnChooser, SavedViews, ServerExportButton, SortSelect, assignableOwners, chosenColumns, compactFilter, ownerFromView, ownerIdOf,
  sortFromTable, useListSettings, usePhone, withServerSort, type KeyedColumn,
} from '../components/ListTools';
import { useLabels } from '../i18n/labels';

type Lead = Schemas['LeadOut'];
const SOURCES = ['website', 'trade_show', 'phone', 'referral', 'partner', 'import', 'api', 'other'] as const;
const STATUSES = ['new', 'contacted', 'qualified', 'converted', 'disqualified'] as const;

export function ScoreBreakdown({ lead }: { lead: Lead }) {
  const { t } = useTranslation();
  return (
    <Popover title={t('leads.breakdown')} content={
      <Table size="small" rowKey="rule" pagination={false} dataSource={lead.score_breakdown}
        columns={[{ dataIndex: 'rule', title: t('admin.rule') }, { dataIndex: 'points', title: t('admin.points'), align: 'right' }, { dataIndex: 'detail', title: t('common.details') }]} />
    }>
      <Tag style={{ cursor: 'help' }} data-testid="score">{lead.score}</Tag>
    </Popover>
  );
}

type LeadFilter = { status?: Schemas['LeadStatus']; grade?: Schemas['LeadGrade']; source?: Schemas['Source']; open?: boolean; q?: string; owner?: string };
/** The sorts GET /leads offers. */
const LEAD_SORTS = ['number', 'score', 'created_at', 'updated_at'] as const;

export default function LeadsPage() {
  const { t } = useTranslation();
  const label = useLabels();
  const me = useMe();
  const qc = useQueryClient();
  const phone = usePhone();
  const { users, name: userName } = useUserNames();
  const [params, setParams] = useSearchParams();
  const [filter, setFilter] = useState<LeadFilter>({ open: true });
  const [sort, setSort] = useState<string | undefined>();
  const [selected, setSelected] = useState<Key[]>([]);
  const [creating, setCreating] = useState(false);
  const { settings, save: saveColumns } = useListSettings('lead');
  const list = useCursorList<Lead>(['leads', filter, sort], (cursor) =>
    unwrap(api.GET('/api/v1/leads', { params: { query: {
      ...filter, q: filter.q || undefined, sort, cursor, limit: 50, with_total: cursor ? undefined : true,
    } } })));
  const openId = params.get('open');
  if (list.isError && !list.data) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  const set = (p: Partial<LeadFilter>) => { setFilter((f) => ({ ...f, ...p })); setSelected([]); };
  const first = list.data?.pages[0];
  // The same filter in the language saved views and exports speak (owner as an id, open_only).
  const viewFilter = compactFilter({
    status: filter.status, grade: filter.grade, source: filter.source, open_only: filter.open, q: filter.q, owner_id: ownerIdOf(filter.owner, me.data?.id),
  });
  const applyView = (view: Schemas['SegmentOut']) => {
    const f = view.filter as Record<string, string | boolean | undefined>;
    setFilter({ status: f.status as LeadFilter['status'], grade: f.grade as LeadFilter['grade'], source: f.source as LeadFilter['source'],
      open: f.open_only === true || undefined, q: (f.q as string) || undefined, owner: ownerFromView(f.owner_id, me.data?.id) });
    setSort(view.sort ?? undefined);
    setSelected([]);
    if (view.columns.length) saveColumns.mutate(view.columns);
  };
  const writable = can(me.data, 'leads:write');
  const allColumns: KeyedColumn<Lead>[] = [
    { key: 'number', title: t('leads.number'), dataIndex: 'number' },
    { key: 'name', title: t('common.name'), render: (_, l) => <>{l.name ?? '—'}<div><Typography.Text type="secondary">{l.company}</Typography.Text></div></> },
    { key: 'grade', title: t('leads.grade'), dataIndex: 'grade', render: (g) => <LeadGradeTag grade={g} /> },
    { key: 'score', title: t('leads.score'), render: (_, l) => <span onClick={(e) => e.stopPropagation()}><ScoreBreakdown lead={l} /></span> },
    { key: 'source', title: t('leads.source'), dataIndex: 'source', render: (v) => label('lead_source', v) },
    { key: 'status', title: t('common.status'), dataIndex: 'status', render: (s) => label('lead_status', s) },
    { key: 'owner_id', title: t('common.owner'), dataIndex: 'owner_id', render: userName },
    { key: 'created_at', title: t('common.createdAt'), dataIndex: 'created_at', render: fmtTime },
    { key: 'updated_at', title: t('listTools.updatedAt'), dataIndex: 'updated_at', render: fmtTime },
  ];
  const defaults = allColumns.filter((c) => c.key !== 'updated_at').map((c) => c.key);
  const columns = withServerSort(chosenColumns(allColumns, settings.data?.columns, defaults), LEAD_SORTS, sort);
  const nameOf = (id: string) => { const l = list.items.find((x) => x.id === id); return l ? `${l.number} ${l.company ?? l.name ?? ''}`.trim() : id.slice(0, 8); };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('leads.title')}</Typography.Title>
        <Space wrap>
          <SavedViews object="lead" current={{ filter: viewFilter, sort, columns: columns.map((c) => c.key) }} onApply={applyView} />
          {!phone && <ColumnChooser object="lead" columns={allColumns} defaults={defaults} />}
          <ServerExportButton object="lead" filter={viewFilter} />
          {writable && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('leads.new')}</Button>}
        </Space>
      </Space>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t('common.search')} aria-label={t('common.search')} style={{ width: 200 }} defaultValue={filter.q} key={filter.q ?? ''} onSearch={(q) => set({ q })} />
        <Select allowClear placeholder={t('common.status')} aria-label={t('common.status')} style={{ width: 120 }} value={filter.status} onChange={(v) => set({ status: v })}
          options={STATUSES.map((s) => ({ value: s, label: label('lead_status', s) }))} />
        <Select allowClear placeholder={t('leads.grade')} aria-label={t('leads.grade')} style={{ width: 100 }} value={filter.grade} onChange={(v) => set({ grade: v })}
          options={(['high', 'medium', 'low'] as const).map((s) => ({ value: s, label: label('lead_grade', s) }))} />
        <Select allowClear placeholder={t('leads.source')} aria-label={t('leads.source')} style={{ width: 130 }} value={filter.source} onChange={(v) => set({ source: v })}
          options={SOURCES.map((s) => ({ value: s, label: label('lead_source', s) }))} />
        <Select allowClear placeholder={t('common.owner')} aria-label={t('common.owner')} style={{ width: 120 }} value={filter.owner} onChange={(v) => set({ owner: v })}
          options={[{ value: 'me', label: t('common.me') }, ...(filter.owner && filter.owner !== 'me' ? [{ value: filter.owner, label: userName(filter.owner) }] : [])]} />
        <Checkbox checked={!!filter.open} onChange={(e) => set({ open: e.target.checked || undefined })}>{t('leads.openOnly')}</Checkbox>
        {phone && <SortSelect sortable={LEAD_SORTS} value={sort} onChange={setSort} titleOf={(f) => allColumns.find((c) => c.key === f)?.title as ReactNode} />}
      </Space>
      {writable && (
        <BulkBar selected={selected} nameOf={nameOf} onClear={() => setSelected([])}
          onDone={() => { setSelected([]); void qc.invalidateQueries({ queryKey: ['leads'] }); }}
          actions={[{
            key: 'reassign', label: t('listTools.reassign'), pick: { placeholder: t('listTools.newOwner'), options: assignableOwners(users) },
            run: (ids, owner) => unwrap(api.POST('/api/v1/leads/bulk-assign', { body: { ids, owner_id: owner ?? '' } })),
          }]} />
      )}
      <RecordList<Lead> rowKey="id" size="middle" dataSource={list.items} loading={list.isPending} pagination={false} scroll={{ x: 'max-content' }}
        data-testid="leads-table" locale={{ emptyText: t('common.empty') }}
        total={first?.total} totalIsLowerBound={!!first?.total_is_lower_bound}
        rowSelection={writable ? { selectedRowKeys: selected, onChange: setSelected } : undefined}
        onChange={(_, __, sorter) => setSort(sortFromTable(sorter))}
        onRowClick={(r) => setParams({ open: r.id })}
        card={(l) => (
          <div>
            <Space style={{ width: '100%', justifyContent: 'space-between' }}>
              <Typography.Text strong>{l.company ?? l.name ?? l.number}</Typography.Text>
              <LeadGradeTag grade={l.grade} />
            </Space>
            <div><Typography.Text type="secondary">{[l.name, label('lead_source', l.source), userName(l.owner_id)].filter(Boolean).join(' · ')}</Typography.Text></div>
            <div>{label('lead_status', l.status)} · {fmtTime(l.created_at)}</div>
          </div>
        )}
        columns={columns} />
      {list.hasNextPage && <Button block style={{ marginTop: 12 }} onClick={() => list.fetchNextPage()} loading={list.isFetchingNextPage}>{t('common.more')}</Button>}
      {openId && <LeadDrawer id={openId} onClose={() => setParams({})} />}
      {creating && <NewLeadModal onClose={() => setCreating(false)} />}
    </div>
  );
}

function LeadDrawer({ id, onClose }: { id: string; onClose: () => void }) {
  const { t } = useTranslation();
  const label = useLabels();
  const { message } = App.useApp();
  const me = useMe();
  const qc = useQueryClient();
  const { users, name: userName, allowed } = useUserNames();
  const lead = useQuery({ queryKey: ['lead', id], queryFn: () => unwrap(api.GET('/api/v1/leads/{lead_id}', { params: { path: { lead_id: id } } })) });
  const timeline = useQuery({ queryKey: ['lead', id, 'timeline'], queryFn: () => unwrap(api.GET('/api/v1/leads/{lead_id}/timeline', { params: { path: { lead_id: id }, query: { limit: 50 } } })) });
  const [owner, setOwner] = useState<string | undefined>();
  const [reason, setReason] = useState('');
  const [disqualifying, setDisqualifying] = useState(false);
  const [withOpp, setWithOpp] = useState(true);
  const refresh = () => { void qc.invalidateQueries({ queryKey: ['lead', id] }); void qc.invalidateQueries({ queryKey: ['leads'] }); };
  const patch = useMutation({
    mutationFn: (body: Schemas['LeadUpdate']) => unwrap(api.PATCH('/api/v1/leads/{lead_id}', {
      params: { path: { lead_id: id }, header: { 'If-Match': etagOf(lead.data!.version) } }, body })),
    onSuccess: () => { message.success(t('common.saved')); setDisqualifying(false); refresh(); },
  });
  const assign = useMutation({
    mutationFn: (owner_id: string | null) => unwrap(api.POST('/api/v1/leads/{lead_id}/assign', { params: { path: { lead_id: id } }, body: { owner_id } })),
    onSuccess: () => { message.success(t('common.saved')); refresh(); },
  });
  const convert = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/leads/{lead_id}/convert', { params: { path: { lead_id: id } }, body: { create_opportunity: withOpp } })),
    onSuccess: () => { message.success(t('leads.convertedDone')); refresh(); },
  });
  const err = patch.error ?? assign.error ?? convert.error;
  const writable = can(me.data, 'leads:write');
  return (
    <Drawer open onClose={onClose} width={Math.min(560, window.innerWidth)} title={lead.data ? `${lead.data.number} ${lead.data.company ?? lead.data.name ?? ''}` : t('common.loading')}>
      <QueryState query={lead}>
        {(l) => (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <InlineError error={err} />
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('common.status')}>{label('lead_status', l.status)}{l.disqualify_reason ? ` — ${l.disqualify_reason}` : ''}</Descriptions.Item>
              <Descriptions.Item label={t('leads.grade')}><LeadGradeTag grade={l.grade} /> <ScoreBreakdown lead={l} /></Descriptions.Item>
              <Descriptions.Item label={t('common.name')}>{l.name} {l.title}</Descriptions.Item>
              <Descriptions.Item label={t('leads.company')}>{l.company}</Descriptions.Item>
              <Descriptions.Item label={t('leads.phone')}>{l.phone}</Descriptions.Item>
              <Descriptions.Item label={t('leads.email')}>{l.email}</Descriptions.Item>
              <Descriptions.Item label={t('leads.source')}>{label('lead_source', l.source)}{l.campaign ? ` / ${l.campaign}` : ''}</Descriptions.Item>
              <Descriptions.Item label={t('leads.budget')}>{fmtMoney(l.budget, l.currency)}</Descriptions.Item>
              <Descriptions.Item label={t('common.owner')}>{userName(l.owner_id)}</Descriptions.Item>
              <Descriptions.Item label={t('leads.assignment')}>{l.assignment ? `${label('assigned_by', l.assignment.by)}：${l.assignment.reason}` : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('leads.flags')}>{l.flags.map((f) => <Tag key={f.code} color="orange">{f.reason}</Tag>)}</Descriptions.Item>
              <Descriptions.Item label={t('leads.message')}>{l.message}</Descriptions.Item>
              {l.customer_id && <Descriptions.Item label={t('pipeline.customer')}><Link to={`/customers/${l.customer_id}`}>{t('leads.openCustomer')}</Link></Descriptions.Item>}
            </Descriptions>
            {writable && l.status !== 'converted' && l.status !== 'disqualified' && (
              <Space wrap>
                {allowed && (
                  <>
                    <Select placeholder={t('leads.assignTo')} style={{ width: 180 }} value={owner} onChange={setOwner}
                      options={users.filter((u) => u.is_active && ['sales_rep', 'manager'].includes(u.role)).map((u) => ({ value: u.id, label: u.name }))} />
                    <Button disabled={!owner} loading={assign.isPending} onClick={() => assign.mutate(owner!)}>{t('leads.reassign')}</Button>
                  </>
                )}
                <Button loading={assign.isPending} onClick={() => assign.mutate(null)}>{t('leads.autoAssign')}</Button>
                {l.status !== 'qualified' && <Button onClick={() => patch.mutate({ status: 'qualified' })} data-testid="qualify">{t('leads.qualify')}</Button>}
                <Button danger onClick={() => setDisqualifying(true)}>{t('leads.disqualify')}</Button>
                <Checkbox checked={withOpp} onChange={(e) => setWithOpp(e.target.checked)}>{t('leads.createOpportunity')}</Checkbox>
                <Button type="primary" loading={convert.isPending} onClick={() => convert.mutate()} data-testid="convert">{t('leads.convert')}</Button>
              </Space>
            )}
            {disqualifying && (
              <Space.Compact style={{ width: '100%' }}>
                <Input placeholder={t('leads.disqualifyReason')} value={reason} onChange={(e) => setReason(e.target.value)} />
                <Button danger type="primary" disabled={!reason.trim()} onClick={() => patch.mutate({ status: 'disqualified', disqualify_reason: reason.trim() })}>{t('common.submit')}</Button>
              </Space.Compact>
            )}
            <Typography.Title level={5}>{t('customers.timeline')}</Typography.Title>
            <QueryState query={timeline} empty={(d) => d.items.length === 0}>
              {(d) => <Timeline items={d.items.map((e) => ({ key: e.id, children: <>{e.summary}<div><Typography.Text type="secondary">{fmtTime(e.at)} · {e.actor_label} · {t(`timelineKind.${e.kind}`, { defaultValue: t('timelineKind.edited') })}</Typography.Text></div></> }))} />}
            </QueryState>
          </Space>
        )}
      </QueryState>
    </Drawer>
  );
}

const LEAD_FIELDS = ['name', 'company', 'phone', 'email', 'source', 'budget', 'message'];

function NewLeadModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const label = useLabels();
  const qc = useQueryClient();
  const [form] = Form.useForm<Schemas['LeadCreate']>();
  const create = useMutation({
    mutationFn: (v: Schemas['LeadCreate']) => unwrap(api.POST('/api/v1/leads', { body: { ...v, budget: v.budget ?? null } })),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['leads'] }); onClose(); },
    onError: (e) => { if (e instanceof ApiError) form.setFields(Object.entries(e.fieldErrors()).filter(([name]) => LEAD_FIELDS.includes(name)).map(([name, m]) => ({ name: name as 'name', errors: [m] }))); },
  });
  // The server refuses a lead a person typed with nothing to tell who it is; say so before sending.
  const somethingToIdentify = ({ getFieldValue }: { getFieldValue: (n: string) => unknown }) => ({
    validator: () => (['name', 'company', 'phone', 'email'].some((n) => String(getFieldValue(n) ?? '').trim())
      ? Promise.resolve() : Promise.reject(new Error(t('leads.needSomething')))),
  });
  const placed = create.error instanceof ApiError && Object.keys(create.error.fieldErrors()).some((f) => LEAD_FIELDS.includes(f));
  return (
    <Modal open title={t('leads.new')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={create.isPending}>
      {create.error && !placed && <InlineError error={create.error} />}
      <Form form={form} layout="vertical" initialValues={{ source: 'phone' }} onFinish={(v) => create.mutate(v)} data-testid="new-lead-form">
        <Form.Item name="name" label={t('common.name')} dependencies={['company', 'phone', 'email']} rules={[somethingToIdentify, { max: 100, message: t('forms.max', { n: 100 }) }]}><Input /></Form.Item>
        <Form.Item name="company" label={t('leads.company')} rules={[{ max: 200, message: t('forms.max', { n: 200 }) }]}><Input /></Form.Item>
        <Space wrap>
          <Form.Item name="phone" label={t('leads.phone')} rules={[{ max: 40, message: t('forms.max', { n: 40 }) }]}><Input inputMode="tel" type="tel" /></Form.Item>
          <Form.Item name="email" label={t('leads.email')} rules={[{ type: 'email', message: t('contacts.badEmail') }]}><Input inputMode="email" type="email" /></Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="source" label={t('leads.source')}><Select style={{ width: 140 }} options={SOURCES.map((s) => ({ value: s, label: label('lead_source', s) }))} /></Form.Item>
          <Form.Item name="budget" label={t('leads.budget')}><InputNumber min={0} style={{ width: 160 }} stringMode /></Form.Item>
        </Space>
        <Form.Item name="message" label={t('leads.message')} rules={[{ max: 5000, message: t('forms.max', { n: 5000 }) }]}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

export { errorText };
