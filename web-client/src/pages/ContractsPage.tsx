import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Col, Form, Input, Modal, Row, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, liveItems, unwrap, type Schemas } from '../api/client';
import { useCursorList, useUserNames } from '../api/hooks';
import { CsvExportButton } from '../components/bits';
import { RecordList } from '../components/RecordList';
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

export default function ContractsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const { name: userName } = useUserNames();
  const label = useLabels();
  const [filter, setFilter] = useState<{ status?: Schemas['ContractStatus']; q?: string; owner?: string }>({});
  const [creating, setCreating] = useState(false);
  const list = useCursorList<Contract>(['contracts', filter], (cursor) =>
    unwrap(api.GET('/api/v1/contracts', { params: { query: { ...filter, q: filter.q || undefined, cursor, limit: 50 } } })).then(liveItems));
  if (list.isError && !list.data) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('contracts.title')}</Typography.Title>
        <Space wrap>
          <CsvExportButton filename="contracts.csv" header={['number', 'title', 'customer', 'amount', 'currency', 'status', 'start_date', 'end_date', 'owner']}
            rows={() => list.items.map((c) => [c.number, c.title, c.customer_name, c.amount, c.currency, c.status, c.start_date, c.end_date, userName(c.owner_id)])} />
          {can(me.data, 'contracts:write') && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-contract">{t('contracts.new')}</Button>}
        </Space>
      </Space>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t('common.search')} aria-label={t('common.search')} style={{ width: 220 }} onSearch={(q) => setFilter((f) => ({ ...f, q }))} />
        <Select allowClear placeholder={t('common.status')} style={{ width: 140 }} value={filter.status} onChange={(status) => setFilter((f) => ({ ...f, status }))}
          options={label.options('contract_status', STATUSES)} aria-label={t('common.status')} />
        <Select allowClear placeholder={t('common.owner')} style={{ width: 120 }} value={filter.owner} onChange={(owner) => setFilter((f) => ({ ...f, owner }))}
          options={[{ value: 'me', label: t('common.me') }]} aria-label={t('common.owner')} />
      </Space>
      <RecordList<Contract> rowKey="id" dataSource={list.items} loading={list.isPending} locale={{ emptyText: t('common.empty') }} data-testid="contracts-table"
        card={(c) => <ContractCard contract={c} />}
        columns={[
          { title: t('contracts.number'), dataIndex: 'number', render: (v, c) => <Link to={`/contracts/${c.id}`}>{v}</Link> },
          { title: t('common.name'), dataIndex: 'title' },
          { title: t('contracts.customer'), dataIndex: 'customer_name', render: (v, c) => <Link to={`/customers/${c.customer_id}`}>{v}</Link> },
          { title: t('contracts.amount'), dataIndex: 'amount', align: 'right', render: (v, c) => formatMoney(v, c.currency) },
          { title: t('common.status'), dataIndex: 'status', render: (s) => <ContractStatusTag status={s} /> },
          { title: t('contracts.start'), dataIndex: 'start_date', render: formatDate },
          { title: t('contracts.end'), dataIndex: 'end_date', render: formatDate },
          { title: t('common.owner'), dataIndex: 'owner_id', render: userName },
        ]} />
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
