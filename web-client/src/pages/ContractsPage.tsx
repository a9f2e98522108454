import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, DatePicker, Form, Input, InputNumber, Modal, Select, Space, Table, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, ApiError, liveItems, unwrap, type Schemas } from '../api/client';
import { useCursorList, useUserNames } from '../api/hooks';
import { CsvExportButton, fmtDate, fmtMoney } from '../components/bits';
import { ErrorState, InlineError } from '../components/States';
import { can, useMe } from '../app/session';
import { ContractStatusTag, lineTotal } from './contractBits';

type Contract = Schemas['ContractOut'];
const STATUSES = ['draft', 'in_approval', 'approved', 'rejected', 'signed', 'active', 'completed', 'terminated', 'expired'] as const;

export default function ContractsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const { name: userName } = useUserNames();
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
        <Input.Search allowClear placeholder={t('common.search')} style={{ width: 220 }} onSearch={(q) => setFilter((f) => ({ ...f, q }))} />
        <Select allowClear placeholder={t('common.status')} style={{ width: 140 }} value={filter.status} onChange={(status) => setFilter((f) => ({ ...f, status }))}
          options={STATUSES.map((s) => ({ value: s, label: t(`enums.contractStatus.${s}`) }))} />
        <Select allowClear placeholder={t('common.owner')} style={{ width: 120 }} value={filter.owner} onChange={(owner) => setFilter((f) => ({ ...f, owner }))}
          options={[{ value: 'me', label: t('common.me') }]} />
      </Space>
      <Table<Contract> rowKey="id" dataSource={list.items} loading={list.isPending} pagination={false} scroll={{ x: 'max-content' }} locale={{ emptyText: t('common.empty') }} data-testid="contracts-table"
        columns={[
          { title: t('contracts.number'), dataIndex: 'number', render: (v, c) => <Link to={`/contracts/${c.id}`}>{v}</Link> },
          { title: t('common.name'), dataIndex: 'title' },
          { title: t('contracts.customer'), dataIndex: 'customer_name', render: (v, c) => <Link to={`/customers/${c.customer_id}`}>{v}</Link> },
          { title: t('contracts.amount'), dataIndex: 'amount', align: 'right', render: (v, c) => fmtMoney(v, c.currency) },
          { title: t('common.status'), dataIndex: 'status', render: (s) => <ContractStatusTag status={s} /> },
          { title: t('contracts.start'), dataIndex: 'start_date', render: fmtDate },
          { title: t('contracts.end'), dataIndex: 'end_date', render: fmtDate },
          { title: t('common.owner'), dataIndex: 'owner_id', render: userName },
        ]} />
      {list.hasNextPage && <Button block style={{ marginTop: 12 }} onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
      {creating && <NewContractModal onClose={() => setCreating(false)} />}
    </div>
  );
}

interface LineForm { product: string; quantity: number; unit_price: number; discount?: number }
interface NewForm { customer_id: string; opportunity_id?: string; title: string; lines: LineForm[]; period?: [Dayjs, Dayjs]; payment_terms?: string }

export function NewContractModal({ onClose, customerId }: { onClose: () => void; customerId?: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [form] = Form.useForm<NewForm>();
  const [q, setQ] = useState('');
  const chosen = Form.useWatch('customer_id', form);
  const lines = Form.useWatch('lines', form) ?? [];
  const customers = useQuery({ queryKey: ['customers', 'pick', q], queryFn: () => unwrap(api.GET('/api/v1/customers', { params: { query: { q: q || undefined, limit: 20 } } })) });
  const opps = useQuery({
    queryKey: ['opportunities', 'pick', chosen], enabled: !!chosen,
    queryFn: () => unwrap(api.GET('/api/v1/opportunities', { params: { query: { customer_id: chosen, status: 'open', limit: 50 } } })),
  });
  const create = useMutation({
    mutationFn: (v: NewForm) => unwrap(api.POST('/api/v1/contracts', { body: {
      customer_id: v.customer_id, opportunity_id: v.opportunity_id ?? null, title: v.title, currency: 'CNY',
      lines: v.lines.map((l) => ({ product: l.product, quantity: String(l.quantity), unit_price: String(l.unit_price), discount: String(l.discount ?? 0) })),
      start_date: v.period?.[0].format('YYYY-MM-DD') ?? null, end_date: v.period?.[1].format('YYYY-MM-DD') ?? null,
      payment_terms: v.payment_terms || null,
    } })),
    onSuccess: (c) => { void qc.invalidateQueries({ queryKey: ['contracts'] }); onClose(); navigate(`/contracts/${c.id}`); },
    onError: (e) => { if (e instanceof ApiError) form.setFields(Object.entries(e.fieldErrors()).filter(([k]) => ['title', 'customer_id'].includes(k)).map(([name, m]) => ({ name: name as 'title', errors: [m] }))); },
  });
  const total = lines.reduce((n, l) => n + (l?.quantity && l?.unit_price ? lineTotal(Number(l.quantity), Number(l.unit_price), Number(l.discount ?? 0)) : 0), 0);
  return (
    <Modal open width={760} title={t('contracts.new')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={create.isPending} okText={t('common.create')}>
      <InlineError error={create.error} />
      <Form form={form} layout="vertical" initialValues={{ customer_id: customerId, lines: [{ quantity: 1, discount: 0 }] }} onFinish={(v) => create.mutate(v)}>
        <Space wrap>
          <Form.Item name="customer_id" label={t('contracts.customer')} rules={[{ required: true }]}>
            <Select showSearch filterOption={false} onSearch={setQ} style={{ width: 280 }} data-testid="contract-customer"
              options={((customers.data?.items ?? []) as Schemas['CustomerOut'][]).map((c) => ({ value: c.id, label: c.name }))} />
          </Form.Item>
          <Form.Item name="opportunity_id" label={t('contracts.opportunity')}>
            <Select allowClear style={{ width: 260 }} options={(opps.data && 'items' in opps.data ? opps.data.items : []).map((o) => ({ value: o.id, label: o.name }))} />
          </Form.Item>
        </Space>
        <Form.Item name="title" label={t('common.name')} rules={[{ required: true }]}><Input /></Form.Item>
        <Typography.Text strong>{t('contracts.lines')}</Typography.Text>
        <Form.List name="lines">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} wrap align="start">
                  <Form.Item name={[f.name, 'product']} rules={[{ required: true }]}><Input placeholder={t('contracts.product')} style={{ width: 200 }} /></Form.Item>
                  <Form.Item name={[f.name, 'quantity']} rules={[{ required: true }]}><InputNumber min={0} placeholder={t('contracts.quantity')} /></Form.Item>
                  <Form.Item name={[f.name, 'unit_price']} rules={[{ required: true }]}><InputNumber min={0} placeholder={t('contracts.unitPrice')} style={{ width: 140 }} /></Form.Item>
                  <Form.Item name={[f.name, 'discount']}><InputNumber min={0} max={100} step={5} addonAfter="%" placeholder={t('contracts.discount')} style={{ width: 130 }} /></Form.Item>
                  {fields.length > 1 && <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} />}
                </Space>
              ))}
              <Button onClick={() => add({ quantity: 1, discount: 0 })} icon={<PlusOutlined />}>{t('common.add')}</Button>
            </>
          )}
        </Form.List>
        <div style={{ textAlign: 'right', margin: '8px 0' }}><Typography.Text strong>{t('common.total')}: {fmtMoney(total.toFixed(2))}</Typography.Text></div>
        <Space wrap>
          <Form.Item name="period" label={`${t('contracts.start')} – ${t('contracts.end')}`}><DatePicker.RangePicker /></Form.Item>
          <Form.Item name="payment_terms" label={t('contracts.paymentTerms')}><Input style={{ width: 260 }} /></Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}
