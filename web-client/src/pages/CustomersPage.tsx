import { FilterOutlined, PlusOutlined, TagsOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  App, Button, DatePicker, Form, Grid, Input, Modal, Radio, Select, Space, Tag, Typography,
} from 'antd';
import dayjs from 'dayjs';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../api/client';
import { useCursorList, usePicklist, useTags, useUserNames, type CursorPage } from '../api/hooks';
import { RecordList } from '../components/RecordList';
import {
  BulkBar, ColumnChooser, SavedViews, ServerExportButton, SortSelect, chosenColumns, sortFromTable, useListSettings, withServerSort, type KeyedColumn,
} from '../components/ListTools';
import { oneOf, placeServerError } from '../components/serverErrors';
import { useCustomerRules } from '../components/formRules';
import { formatDateTime, formatMoney, fromNow } from '../i18n/format';
import { useLabels } from '../i18n/labels';
import { ErrorState, InlineError, errorText } from '../components/States';
import { can, useMe } from '../app/session';

type Customer = Schemas['CustomerOut'];
/** The filter language as data (segments, exports and bulk tagging take it as it is). */
export interface CustomerFilter {
  q?: string; industry?: string; region?: string; grade?: string; tier?: string; owner_id?: string;
  tags_all?: string[]; tags_any?: string[]; last_followup_before?: string;
}

export function filterToQuery(f: CustomerFilter) {
  return {
    q: f.q || undefined, industry: f.industry, region: f.region,
    grade: f.grade as Schemas['Grade'] | undefined, tier: f.tier as Schemas['Tier'] | undefined,
    owner: f.owner_id, tag: f.tags_all?.length ? f.tags_all : undefined,
    tag_any: f.tags_any?.length ? f.tags_any : undefined, last_followup_before: f.last_followup_before,
  };
}

export function cleanFilter(f: CustomerFilter): Record<string, unknown> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)));
}

/** The sorts GET /customers offers. */
const CUSTOMER_SORTS = ['name', 'number', 'last_followup_at', 'next_followup_at', 'created_at', 'updated_at'] as const;
const GRADE_COLOURS: Record<string, string> = { potential: 'default', intent: 'blue', closed: 'green', churned: 'red' };
const TIER_COLOURS: Record<string, string> = { strategic: 'gold', key: 'purple', normal: 'default' };

/** One customer as a phone shows it: the facts a rep scans for before calling. */
export function CustomerCard({ customer, ownerName }: { customer: Customer; ownerName: string }) {
  const { t } = useTranslation();
  const label = useLabels();
  return (
    <div data-testid="customer-card" style={{ display: 'grid', gap: 4 }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }} align="start">
        <Typography.Text strong style={{ fontSize: 16 }}>{customer.name}</Typography.Text>
        <Space size={4} wrap>
          <Tag color={GRADE_COLOURS[customer.grade]}>{label('customer_status', customer.grade)}</Tag>
          {customer.tier && <Tag color={TIER_COLOURS[customer.tier]}>{label('customer_tier', customer.tier)}</Tag>}
        </Space>
      </Space>
      <Typography.Text type="secondary">{t('customersList.fact', { label: t('common.owner'), value: ownerName })}</Typography.Text>
      <Typography.Text>{t('customersList.fact', { label: t('customers.annualPurchase'), value: formatMoney(customer.annual_purchase, customer.currency) })}</Typography.Text>
      <Typography.Text type="secondary">
        {t('customersList.fact', {
          label: t('customers.nextFollowup'),
          value: customer.next_followup_at ? fromNow(customer.next_followup_at) : t('customersList.noNextFollowup'),
        })}
      </Typography.Text>
    </div>
  );
}

export default function CustomersPage() {
  const { t } = useTranslation();
  const label = useLabels();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useMe();
  const { name: userName, users, allowed: canListUsers } = useUserNames();
  const industries = usePicklist('industry');
  const regions = usePicklist('region');
  const tags = useTags();
  const [filter, setFilter] = useState<CustomerFilter>({});
  const [tagMode, setTagMode] = useState<'all' | 'any'>('all');
  const [sort, setSort] = useState<string | undefined>();
  const { settings, save: saveColumns } = useListSettings('customer');
  const [selected, setSelected] = useState<Customer[]>([]);
  const [creating, setCreating] = useState(false);
  const [tagging, setTagging] = useState(false);
  const mobile = Grid.useBreakpoint().md === false;
  const [showFilters, setShowFilters] = useState(false);
  const list = useCursorList<Customer>(['customers', filter, sort], (cursor) =>
    unwrap(api.GET('/api/v1/customers', { params: { query: {
      ...filterToQuery(filter), sort, cursor, limit: 50, with_total: cursor ? undefined : true,
    } } })) as Promise<CursorPage<Customer>>);

  const set = (patch: Partial<CustomerFilter>) => { setFilter((f) => ({ ...f, ...patch })); setSelected([]); };
  const applyView = (view: Schemas['SegmentOut']) => {
    setFilter(view.filter as CustomerFilter);
    setSort(view.sort ?? undefined);
    setSelected([]);
    if (view.columns.length) saveColumns.mutate(view.columns);
  };

  const allColumns: KeyedColumn<Customer>[] = [
    { key: 'name', title: t('common.name'), dataIndex: 'name', fixed: 'left', render: (v, r) => <Link to={`/customers/${r.id}`}>{v}</Link> },
    { key: 'number', title: t('customers.number'), dataIndex: 'number', width: 130 },
    { key: 'grade', title: t('customers.grade'), dataIndex: 'grade', render: (g: string) => <Tag color={GRADE_COLOURS[g]}>{label('customer_status', g)}</Tag>, width: 100 },
    { key: 'tier', title: t('customers.tier'), dataIndex: 'tier', render: (v: string | null) => (v ? <Tag color={TIER_COLOURS[v]}>{label('customer_tier', v)}</Tag> : '—'), width: 100 },
    { key: 'industry', title: t('customers.industry'), dataIndex: 'industry', render: (v: string | null) => industries.label(v), width: 120 },
    { key: 'region', title: t('customers.region'), dataIndex: 'region', render: (v: string | null) => regions.label(v), width: 90 },
    { key: 'owner_id', title: t('common.owner'), dataIndex: 'owner_id', render: (v) => userName(v), width: 140 },
    { key: 'tags', title: t('customers.tags'), dataIndex: 'tags', render: (v: string[]) => v.join(', ') },
    { key: 'last_followup_at', title: t('customers.lastFollowup'), dataIndex: 'last_followup_at', render: (v: string | null) => formatDateTime(v), width: 150 },
    { key: 'next_followup_at', title: t('customers.nextFollowup'), dataIndex: 'next_followup_at', render: (v: string | null) => formatDateTime(v), width: 150 },
    { key: 'annual_purchase', title: t('customers.annualPurchase'), dataIndex: 'annual_purchase', render: (v, r) => formatMoney(v, r.currency), width: 150, align: 'right' },
  ];
  const columns = withServerSort(chosenColumns(allColumns, settings.data?.columns), CUSTOMER_SORTS, sort);
  const nameOf = (id: string) => list.items.find((c) => c.id === id)?.name ?? id.slice(0, 8);
  const first = list.data?.pages[0];

  if (list.isError && !list.data) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  const writable = can(me.data, 'customers:write');

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('customers.title')}</Typography.Title>
        <Space wrap>
          <SavedViews object="customer" current={{ filter: cleanFilter(filter), sort, columns: columns.map((c) => c.key) }} onApply={applyView} />
          {!mobile && <ColumnChooser object="customer" columns={allColumns} />}
          <ServerExportButton object="customer" filter={cleanFilter(filter)} />
          {writable && selected.length === 0 && <Button icon={<TagsOutlined />} onClick={() => setTagging(true)} data-testid="bulk-tag">{t('customers.bulkTag')}</Button>}
          {writable && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-customer">{t('customers.new')}</Button>}
        </Space>
      </Space>
      {mobile && (
        <div style={{ display: 'flex', gap: 8, marginBottom: 8 }}>
          <Input.Search allowClear placeholder={t('common.search')} aria-label={t('customersList.searchLabel')} style={{ flex: 1, minWidth: 0 }} onSearch={(q) => set({ q: q || undefined })} />
          <Button icon={<FilterOutlined />} onClick={() => setShowFilters((v) => !v)} data-testid="toggle-filters"
            aria-expanded={showFilters} aria-controls="customer-filters">{t('common.filters')}</Button>
        </div>
      )}
      <Space wrap id="customer-filters" role="group" aria-label={t('common.filters')}
        style={{ marginBottom: 12, display: mobile && !showFilters ? 'none' : undefined }}>
        {!mobile && <Input.Search allowClear placeholder={t('common.search')} aria-label={t('customersList.searchLabel')} style={{ width: 220 }} onSearch={(q) => set({ q: q || undefined })} data-testid="customer-search" />}
        <Select allowClear placeholder={t('customers.industry')} style={{ width: 130 }} aria-label={t('customers.industry')} value={filter.industry}
          options={industries.options} onChange={(v) => set({ industry: v })} />
        <Select allowClear placeholder={t('customers.region')} style={{ width: 110 }} aria-label={t('customers.region')} value={filter.region}
          options={regions.options} onChange={(v) => set({ region: v })} />
        <Select allowClear placeholder={t('customers.grade')} style={{ width: 120 }} value={filter.grade} aria-label={t('customers.grade')}
          options={label.options('customer_status')} onChange={(v) => set({ grade: v })} />
        <Select allowClear placeholder={t('customers.tier')} style={{ width: 120 }} value={filter.tier} aria-label={t('customers.tier')}
          options={label.options('customer_tier')} onChange={(v) => set({ tier: v })} />
        <Select allowClear placeholder={t('common.owner')} style={{ width: 150 }} aria-label={t('common.owner')} value={filter.owner_id}
          options={[{ value: me.data?.id ?? 'me', label: t('customers.mine') }, ...(canListUsers ? users.filter((u) => u.id !== me.data?.id).map((u) => ({ value: u.id, label: u.name })) : [])]}
          onChange={(v) => set({ owner_id: v })} />
        <Select mode="multiple" allowClear placeholder={t('customers.tags')} style={{ minWidth: 160 }} aria-label={t('customers.tags')}
          value={tagMode === 'all' ? filter.tags_all : filter.tags_any}
          options={(tags.data ?? []).map((x) => ({ value: x.name, label: x.name }))}
          onChange={(v) => set(tagMode === 'all' ? { tags_all: v, tags_any: undefined } : { tags_any: v, tags_all: undefined })} />
        <Radio.Group size="small" value={tagMode} aria-label={t('customers.tagMode')} onChange={(e) => {
          const m = e.target.value as 'all' | 'any';
          setTagMode(m);
          const cur = filter.tags_all ?? filter.tags_any;
          set(m === 'all' ? { tags_all: cur, tags_any: undefined } : { tags_any: cur, tags_all: undefined });
        }}>
          <Radio.Button value="all">{t('customers.tagAll')}</Radio.Button>
          <Radio.Button value="any">{t('customers.tagAny')}</Radio.Button>
        </Radio.Group>
        <DatePicker placeholder={t('customers.lastFollowupBefore')} aria-label={t('customers.lastFollowupBefore')} value={filter.last_followup_before ? dayjs(filter.last_followup_before) : null}
          onChange={(d) => set({ last_followup_before: d ? d.startOf('day').toISOString() : undefined })} />
        {mobile && <SortSelect sortable={CUSTOMER_SORTS} value={sort} onChange={setSort} titleOf={(f) => allColumns.find((c) => c.key === f)?.title as ReactNode} />}
        <Button onClick={() => { setFilter({}); setSort(undefined); setSelected([]); }}>{t('common.reset')}</Button>
      </Space>
      {writable && (
        <BulkBar selected={selected.map((c) => c.id)} nameOf={nameOf} onClear={() => setSelected([])}
          onDone={() => { setSelected([]); void qc.invalidateQueries({ queryKey: ['customers'] }); }}
          actions={[{
            key: 'tag', label: t('customers.bulkTag'),
            pick: { placeholder: t('customers.tags'), options: (tags.data ?? []).map((x) => ({ value: x.name, label: x.name })) },
            run: (ids, tag) => tagEach(selected.filter((c) => ids.includes(c.id)), tag ?? ''),
          }]} />
      )}
      <RecordList<Customer> rowKey="id" size="middle" columns={columns} dataSource={list.items} loading={list.isPending}
        total={first?.total} totalIsLowerBound={!!first?.total_is_lower_bound}
        onChange={(_, __, sorter) => setSort(sortFromTable(sorter))}
        data-testid="customers-table" onRowClick={mobile ? (c) => navigate(`/customers/${c.id}`) : undefined}
        card={(c) => <CustomerCard customer={c} ownerName={userName(c.owner_id)} />}
        rowSelection={writable ? { selectedRowKeys: selected.map((c) => c.id), onChange: (_, rows) => setSelected(rows) } : undefined}
        locale={{ emptyText: t('common.empty') }} />
      {list.hasNextPage && <Button block style={{ marginTop: 12 }} loading={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
      {creating && <NewCustomerModal onClose={() => setCreating(false)} />}
      {tagging && <BulkTagModal filter={cleanFilter(filter)} selected={selected} onClose={() => { setTagging(false); setSelected([]); }} />}
    </div>
  );
}

/**
 * Adds a tag to each picked customer and says, per customer, whether it went through: one
 * refused change (edited meanwhile, no longer visible) must not hide the others' outcome.
 */
async function tagEach(customers: Customer[], tag: string): Promise<Schemas['BulkOut']> {
  const items: Schemas['BulkItemOut'][] = [];
  for (const c of customers) {
    try {
      await unwrap(api.PATCH('/api/v1/customers/{customer_id}', {
        params: { path: { customer_id: c.id }, header: { 'If-Match': etagOf(c.version) } },
        body: { tags: Array.from(new Set([...c.tags, tag])) },
      }));
      items.push({ id: c.id, ok: true, status: 200 });
    } catch (e) {
      items.push({ id: c.id, ok: false, status: e instanceof ApiError ? e.status : 0, error: errorText(e) });
    }
  }
  const succeeded = items.filter((item) => item.ok).length;
  return { succeeded, failed: items.length - succeeded, items };
}

function BulkTagModal({ filter, selected, onClose }: { filter: Record<string, unknown>; selected: Customer[]; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const tags = useTags();
  const [add, setAdd] = useState<string[]>([]);
  const run = useMutation({
    mutationFn: async () => {
      if (selected.length === 0) {
        return (await unwrap(api.POST('/api/v1/tags/apply', { body: { filter, add } }))).customers;
      }
      for (const c of selected) {
        await unwrap(api.PATCH('/api/v1/customers/{customer_id}', {
          params: { path: { customer_id: c.id }, header: { 'If-Match': etagOf(c.version) } },
          body: { tags: Array.from(new Set([...c.tags, ...add])) },
        }));
      }
      return selected.length;
    },
    onSuccess: (n) => { message.success(t('customers.bulkTagDone', { n })); void qc.invalidateQueries({ queryKey: ['customers'] }); onClose(); },
  });
  return (
    <Modal open title={t('customers.bulkTag')} onCancel={onClose} onOk={() => run.mutate()} okButtonProps={{ disabled: !add.length, loading: run.isPending }}>
      <InlineError error={run.error} />
      <Select mode="tags" style={{ width: '100%' }} aria-label={t('customers.tags')} value={add} onChange={setAdd} options={(tags.data ?? []).map((x) => ({ value: x.name, label: x.name }))} />
    </Modal>
  );
}

interface NewCustomer { name: string; kind: 'company' | 'person'; industry?: string; region?: string; grade?: Schemas['CustomerCreate']['grade']; contact?: string; mobile?: string; email?: string }

function NewCustomerModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const label = useLabels();
  const rules = useCustomerRules();
  const industries = usePicklist('industry');
  const regions = usePicklist('region');
  const [form] = Form.useForm<NewCustomer>();
  const [error, setError] = useState<unknown>(null);
  const create = async (v: NewCustomer, allowDuplicate = false) => {
    setError(null);
    const body: Schemas['CustomerCreate'] = {
      name: v.name, kind: v.kind, industry: v.industry, region: v.region, grade: v.grade,
      contacts: v.contact ? [{ name: v.contact, mobile: v.mobile || null, email: v.email || null, is_primary: true }] : [],
    };
    try {
      const c = await unwrap(api.POST('/api/v1/customers', { params: { query: { allow_duplicate: allowDuplicate } }, body }));
      message.success(t('customers.created'));
      void qc.invalidateQueries({ queryKey: ['customers'] });
      onClose();
      navigate(`/customers/${c.id}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && !allowDuplicate) {
        modal.confirm({ title: t('customers.duplicateOnCreate', { detail: e.problem.detail }), okText: t('customers.createAnyway'), onOk: () => create(v, true) });
        return;
      }
      // The contact is entered inline, so `contacts.0.name` belongs under the contact input.
      const contactField = (f: string) => ({ 'contacts.0.name': 'contact', 'contacts.0.mobile': 'mobile', 'contacts.0.email': 'email' })[f];
      setError(placeServerError(form, e, (f) => contactField(f) ?? oneOf(['name', 'industry', 'region', 'grade', 'kind'])(f)));
    }
  };
  return (
    <Modal open title={t('customers.new')} onCancel={onClose} onOk={() => form.submit()} okText={t('common.create')} destroyOnHidden>
      {error ? <InlineError error={error} /> : null}
      <Form form={form} layout="vertical" initialValues={{ kind: 'company' }} onFinish={(v) => create(v)}>
        <Form.Item name="name" label={t('common.name')} rules={rules.customerName}><Input /></Form.Item>
        <Form.Item name="kind" label={t('customers.kind')}>
          <Radio.Group options={[{ value: 'company', label: t('customers.company') }, { value: 'person', label: t('customers.person') }]} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="industry" label={t('customers.industry')}><Select allowClear style={{ width: 160 }} options={industries.options} /></Form.Item>
          <Form.Item name="region" label={t('customers.region')}><Select allowClear style={{ width: 120 }} options={regions.options} /></Form.Item>
          <Form.Item name="grade" label={t('customers.grade')}><Select allowClear style={{ width: 120 }} options={label.options('customer_status', ['potential', 'intent'])} /></Form.Item>
        </Space>
        <Form.Item name="contact" label={t('customers.contactName')} rules={rules.contactName}><Input /></Form.Item>
        <Space wrap>
          <Form.Item name="mobile" label={t('customers.mobile')} rules={rules.phone}><Input inputMode="tel" /></Form.Item>
          <Form.Item name="email" label={t('customers.email')} rules={rules.email}><Input inputMode="email" /></Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}

export { errorText };
