import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Col, Form, Input, Modal, Row, Select, Space, Typography } from 'antd';
import { useState, type Key, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, liveItems, unwrap, type Schemas } from '../api/client';
import { useCursorList, useUserNames } from '../api/hooks';
import { RecordList } from '../components/RecordList';
import {
  BulkBar, ColumnChooser, SavedViews, ServerExportButton, SortSelect, assignableOwners, chosenColumns, compactFilter, ownerFromView, ownerIdOf,
  sortFromTable, useListSettings, usePhone, withServerSort, type KeyedColumn,
} from '../components/ListTools';
import { ErrorState, InlineError } from '../components/States';
import { can, useMe } from '../app/session';
import { formatDate, formatMoney } from '../i18n/format';
import { useLabels } from '../i18n/labels';
import { ContractStatusTag } from './contractBits';
import { DRAFT_FIELDS, DraftFields, draftBody, placeServerErrors, type DraftValues } from './ContractForm';

type Contract = Schemas['ContractOut'];

/** A contract on a phone: its number, customer, status and amount without scrolling. */
function ContractCard({ contract: c }: { contract: Contract }) {
  return (
    <div data-testid="contract-card">
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, alignItems: 'baseline' }}>
        <Link to={`/contracts/${c.id}`}><Typography.Text strong>{c.number}</Typography.Text></Link>
        <ContractStatusTag status={c.status} />
      </div>
      <Typography.Text ellipsis style={{ display: 'block' }}>{c.customer_name}</Typography.Text>
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
        <Typography.Text type="secondary" ellipsis>{c.title}</Typography.Text>
        <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>{formatMoney(c.amount, c.currency)}</Typography.Text>
      </div>
    </div>
  );
}
const STATUSES = ['draft', 'in_approval', 'approved', 'rejected', 'signed', 'active', 'completed', 'terminated', 'expired'] as const;

type ContractFilter = { status?: Schemas['ContractStatus']; q?: string; owner?: string };
/** The sorts GET /contracts offers. */
const CONTRACT_SORTS = ['number', 'amount', 'end_date', 'signed_at', 'created_at', 'updated_at'] as const;

export default function ContractsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const qc = useQueryClient();
  const phone = usePhone();
  const { users, name: userName } = useUserNames();
  const label = useLabels();
  const [filter, setFilter] = useState<ContractFilter>({});
  const [sort, setSort] = useState<string | undefined>();
  const [selected, setSelected] = useState<Key[]>([]);
  const [creating, setCreating] = useState(false);
  const { settings, save: saveColumns } = useListSettings('contract');
  const list = useCursorList<Contract>(['contracts', filter, sort], (cursor) =>
    unwrap(api.GET('/api/v1/contracts', { params: { query: {
      ...filter, q: filter.q || undefined, sort, cursor, limit: 50, with_total: cursor ? undefined : true,
    } } })).then(liveItems));
  if (list.isError && !list.data) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  const set = (p: Partial<ContractFilter>) => { setFilter((f) => ({ ...f, ...p })); setSelected([]); };
  const first = list.data?.pages[0];
  const viewFilter = compactFilter({ status: filter.status, q: filter.q, owner_id: ownerIdOf(filter.owner, me.data?.id) });
  const applyView = (view: Schemas['SegmentOut']) => {
    const f = view.filter as Record<string, string | undefined>;
    setFilter({ status: f.status as ContractFilter['status'], q: f.q || undefined, owner: ownerFromView(f.owner_id, me.data?.id) });
    setSort(view.sort ?? undefined);
    setSelected([]);
    if (view.columns.length) saveColumns.mutate(view.columns);
  };
  const writable = can(me.data, 'contracts:write');
  const allColumns: KeyedColumn<Contract>[] = [
    { key: 'number', title: t('contracts.number'), dataIndex: 'number', render: (v, c) => <Link to={`/contracts/${c.id}`}>{v}</Link> },
    { key: 'title', title: t('common.name'), dataIndex: 'title' },
    { key: 'customer_name', title: t('contracts.customer'), dataIndex: 'customer_name', render: (v, c) => <Link to={`/customers/${c.customer_id}`}>{v}</Link> },
    { key: 'amount', title: t('contracts.amount'), dataIndex: 'amount', align: 'right', render: (v, c) => formatMoney(v, c.currency) },
    { key: 'status', title: t('common.status'), dataIndex: 'status', render: (s) => <ContractStatusTag status={s} /> },
    { key: 'start_date', title: t('contracts.start'), dataIndex: 'start_date', render: formatDate },
    { key: 'end_date', title: t('contracts.end'), dataIndex: 'end_date', render: formatDate },
    { key: 'signed_at', title: t('listTools.signedAt'), dataIndex: 'signed_at', render: formatDate },
    { key: 'owner_id', title: t('common.owner'), dataIndex: 'owner_id', render: userName },
    { key: 'created_at', title: t('common.createdAt'), dataIndex: 'created_at', render: formatDate },
  ];
  const defaults = ['number', 'title', 'customer_name', 'amount', 'status', 'start_date', 'end_date', 'owner_id'];
  const columns = withServerSort(chosenColumns(allColumns, settings.data?.columns, defaults), CONTRACT_SORTS, sort);
  const nameOf = (id: string) => { const c = list.items.find((x) => x.id === id); return c ? `${c.number} ${c.title}` : id.slice(0, 8); };
  const pickedDrafts = list.items.some((c) => selected.includes(c.id) && c.status === 'draft');
  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('contracts.title')}</Typography.Title>
        <Space wrap>
          <SavedViews object="contract" current={{ filter: viewFilter, sort, columns: columns.map((c) => c.key) }} onApply={applyView} />
          {!phone && <ColumnChooser object="contract" columns={allColumns} defaults={defaults} />}
          <ServerExportButton object="contract" filter={viewFilter} />
          {writable && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-contract">{t('contracts.new')}</Button>}
        </Space>
      </Space>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t('common.search')} aria-label={t('common.search')} style={{ width: 220 }} defaultValue={filter.q} key={filter.q ?? ''} onSearch={(q) => set({ q })} />
        <Select allowClear placeholder={t('common.status')} style={{ width: 140 }} value={filter.status} onChange={(status) => set({ status })}
          options={label.options('contract_status', STATUSES)} aria-label={t('common.status')} />
        <Select allowClear placeholder={t('common.owner')} style={{ width: 120 }} value={filter.owner} onChange={(owner) => set({ owner })}
          options={[{ value: 'me', label: t('common.me') }, ...(filter.owner && filter.owner !== 'me' ? [{ value: filter.owner, label: userName(filter.owner) }] : [])]} aria-label={t('common.owner')} />
        {phone && <SortSelect sortable={CONTRACT_SORTS} value={sort} onChange={setSort} titleOf={(f) => allColumns.find((c) => c.key === f)?.title as ReactNode} />}
      </Space>
      {writable && (
        <BulkBar selected={selected} nameOf={nameOf} onClear={() => setSelected([])}
          onDone={() => { setSelected([]); void qc.invalidateQueries({ queryKey: ['contracts'] }); }}
          actions={[
            {
              key: 'reassign', label: t('listTools.reassign'), pick: { placeholder: t('listTools.newOwner'), options: assignableOwners(users) },
              run: (ids, owner) => unwrap(api.POST('/api/v1/contracts/bulk-assign', { body: { ids, owner_id: owner ?? '' } })),
            },
            ...(pickedDrafts ? [{
              key: 'delete', label: t('listTools.deleteDrafts'), danger: true, confirm: t('listTools.deleteDraftsConfirm'),
              run: (ids: string[]) => unwrap(api.POST('/api/v1/contracts/bulk-delete', { body: { ids } })),
            }] : []),
          ]} />
      )}
      <RecordList<Contract> rowKey="id" dataSource={list.items} loading={list.isPending} locale={{ emptyText: t('common.empty') }} data-testid="contracts-table"
        total={first?.total} totalIsLowerBound={!!first?.total_is_lower_bound}
        rowSelection={writable ? { selectedRowKeys: selected, onChange: setSelected } : undefined}
        onChange={(_, __, sorter) => setSort(sortFromTable(sorter))}
        card={(c) => <ContractCard contract={c} />}
        columns={columns} />
      {list.hasNextPage && <Button block style={{ marginTop: 12 }} onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
      {creating && <NewContractModal onClose={() => setCreating(false)} />}
    </div>
  );
}

interface NewForm extends DraftValues { customer_id?: string; opportunity_id?: string }

export function NewContractModal({ onClose, customerId }: { onClose: () => void; customerId?: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [form] = Form.useForm<NewForm>();
  const [q, setQ] = useState('');
  const [unplaced, setUnplaced] = useState<unknown>(null);
  const chosen = Form.useWatch('customer_id', form);
  const customers = useQuery({ queryKey: ['customers', 'pick', q], queryFn: () => unwrap(api.GET('/api/v1/customers', { params: { query: { q: q || undefined, limit: 20 } } })) });
  const opps = useQuery({
    queryKey: ['opportunities', 'pick', chosen], enabled: !!chosen,
    queryFn: () => unwrap(api.GET('/api/v1/opportunities', { params: { query: { customer_id: chosen, status: 'open', limit: 50 } } })),
  });
  const create = useMutation({
    mutationFn: (v: NewForm) => unwrap(api.POST('/api/v1/contracts', { body: {
      customer_id: v.customer_id ?? '', opportunity_id: v.opportunity_id ?? null, currency: 'CNY', ...draftBody(v),
    } })),
    onMutate: () => setUnplaced(null),
    onSuccess: (c) => { void qc.invalidateQueries({ queryKey: ['contracts'] }); onClose(); navigate(`/contracts/${c.id}`); },
    onError: (e) => { if (!placeServerErrors(form, e, [...DRAFT_FIELDS, 'customer_id', 'opportunity_id'])) setUnplaced(e); },
  });
  return (
    <Modal open width={760} title={t('contracts.new')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={create.isPending} okText={t('common.create')}>
      <InlineError error={unplaced} />
      <Form form={form} layout="vertical" initialValues={{ customer_id: customerId, lines: [{ quantity: '1', discount: '0' }] }} onFinish={(v) => create.mutate(v)} scrollToFirstError>
        <Row gutter={8}>
          <Col xs={24} sm={12}>
            <Form.Item name="customer_id" label={t('contracts.customer')} rules={[{ required: true, message: t('contracts2.customerRequired') }]}>
              <Select showSearch={{ filterOption: false, onSearch: setQ }} data-testid="contract-customer"
                options={((customers.data?.items ?? []) as Schemas['CustomerOut'][]).map((c) => ({ value: c.id, label: c.name }))} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="opportunity_id" label={t('contracts.opportunity')}>
              <Select allowClear options={(opps.data && 'items' in opps.data ? opps.data.items : []).map((o) => ({ value: o.id, label: o.name }))} />
            </Form.Item>
          </Col>
        </Row>
        <DraftFields form={form} />
      </Form>
    </Modal>
  );
}
