import { EditOutlined, FormOutlined, MergeCellsOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert, App, Button, Card, Checkbox, Col, DatePicker, Descriptions, Empty, FloatButton, Form, Grid, Input, List, Row, Select, Space,
  Table, Tabs, Tag, Timeline, Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, etagOf, liveItems, unwrap, ApiError, type Schemas } from '../api/client';
import { useCursorList, usePicklist, useTags, useUserNames } from '../api/hooks';
import { FollowUpForm } from '../components/FollowUpForm';
import { CustomerEdit } from './CustomerEdit';
import { CustomerContacts } from './CustomerContacts';
import { GradeTag, TierTag, fmtMoney, fmtTime, fmtDate } from '../components/bits';
import { ErrorState, InlineError, QueryState, errorText } from '../components/States';
import { can, useMe } from '../app/session';
import { useLabels } from '../i18n/labels';

type Customer = Schemas['CustomerOut'];
const NewContractModal = lazy(() => import('./ContractsPage').then((m) => ({ default: m.NewContractModal })));

export default function CustomerPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const me = useMe();
  const { name: userName } = useUserNames();
  const industries = usePicklist('industry');
  const regions = usePicklist('region');
  const [editing, setEditing] = useState(false);
  const phone = Grid.useBreakpoint().md === false;
  const customer = useQuery({
    queryKey: ['customer', id],
    queryFn: () => unwrap(api.GET('/api/v1/customers/{customer_id}', { params: { path: { customer_id: id } } })),
  });
  if (customer.isPending || customer.isError) return <QueryState query={customer}>{() => null}</QueryState>;
  const c = customer.data;
  const writable = can(me.data, 'customers:write');

  return (
    <div data-testid="customer-360">
      <Card style={{ marginBottom: 16 }}>
        <Space wrap align="center">
          <Typography.Title level={3} style={{ margin: 0 }}>{c.name}</Typography.Title>
          <GradeTag grade={c.grade} />
          <TierTag tier={c.tier} />
          <Typography.Text type="secondary">{c.number}</Typography.Text>
          {writable && <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(true)} data-testid="edit-customer">{t('common.edit')}</Button>}
        </Space>
        {editing && <CustomerEdit customer={c} onClose={() => setEditing(false)} />}
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4 }} style={{ marginTop: 12 }}>
          <Descriptions.Item label={t('common.owner')}>{userName(c.owner_id)}</Descriptions.Item>
          <Descriptions.Item label={t('customers.industry')}>{c.industry ? industries.label(c.industry) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('customers.region')}>{c.region ? regions.label(c.region) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('customers.annualPurchase')}>{fmtMoney(c.annual_purchase, c.currency)}</Descriptions.Item>
          <Descriptions.Item label={t('customers.lastFollowup')}>{fmtTime(c.last_followup_at)}</Descriptions.Item>
          <Descriptions.Item label={t('customers.nextFollowup')}>{fmtTime(c.next_followup_at)}</Descriptions.Item>
          <Descriptions.Item label={t('customers.plan')}>{c.next_followup_plan ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('customers.keyNeeds')}>{c.key_needs ?? '—'}</Descriptions.Item>
        </Descriptions>
        <TagsEditor customer={c} writable={writable} />
        {Object.keys(c.custom).length > 0 && (
          <Descriptions size="small" title={t('customers.custom')} column={{ xs: 1, sm: 2, lg: 4 }}>
            {Object.entries(c.custom).map(([k, v]) => <Descriptions.Item key={k} label={k}>{Array.isArray(v) ? v.join(', ') : String(v)}</Descriptions.Item>)}
          </Descriptions>
        )}
      </Card>
      {writable && <Duplicates customer={c} />}
      <Row gutter={[16, 16]}>
        <Col xs={{ span: 24, order: 2 }} lg={{ span: 16, order: 1 }}>
          <CustomerContacts customer={c} />
          <Card style={{ marginTop: 16 }}>
            <Tabs items={[
              { key: 'timeline', label: t('customers.timeline'), children: <CustomerTimeline id={c.id} /> },
              { key: 'tasks', label: t('customers.tasks'), children: <Tasks customerId={c.id} writable={writable} /> },
              { key: 'opps', label: t('customers.opportunities'), children: <Opportunities customerId={c.id} /> },
              { key: 'contracts', label: t('customers.contracts'), children: <Contracts customerId={c.id} /> },
            ]} />
          </Card>
        </Col>
        <Col xs={{ span: 24, order: 1 }} lg={{ span: 8, order: 2 }} id="followup-form">{writable && <FollowUpForm customerId={c.id} />}</Col>
      </Row>
      {/* In the field the next thing a rep does here is log the visit: one thumb away. */}
      {writable && phone && (
        <FloatButton type="primary" icon={<FormOutlined />} tooltip={t('customers.logFollowup')} aria-label={t('customers.logFollowup')}
          data-testid="jump-followup" onClick={() => document.getElementById('followup-form')?.scrollIntoView({ behavior: 'smooth' })} />
      )}
    </div>
  );
}

function TagsEditor({ customer, writable }: { customer: Customer; writable: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const tags = useTags();
  const [editing, setEditing] = useState<string[] | null>(null);
  const save = useMutation({
    mutationFn: (next: string[]) => unwrap(api.PATCH('/api/v1/customers/{customer_id}', {
      params: { path: { customer_id: customer.id }, header: { 'If-Match': etagOf(customer.version) } }, body: { tags: next } })),
    onSuccess: (c) => { qc.setQueryData(['customer', customer.id], c); setEditing(null); void qc.invalidateQueries({ queryKey: ['customer', customer.id] }); },
  });
  if (editing) {
    return (
      <Space wrap style={{ marginTop: 8 }}>
        <InlineError error={save.error} />
        <Select mode="tags" style={{ minWidth: 240 }} value={editing} onChange={setEditing} options={(tags.data ?? []).map((x) => ({ value: x.name, label: x.name }))} />
        <Button type="primary" size="small" loading={save.isPending} onClick={() => save.mutate(editing)}>{t('common.save')}</Button>
        <Button size="small" onClick={() => setEditing(null)}>{t('common.cancel')}</Button>
      </Space>
    );
  }
  return (
    <Space wrap style={{ marginTop: 8 }}>
      <Typography.Text type="secondary">{t('customers.tags')}:</Typography.Text>
      {customer.tags.map((x) => <Tag key={x} color="blue">{x}</Tag>)}
      {writable && <Button size="small" type="link" onClick={() => setEditing(customer.tags)}>{t('common.edit')}</Button>}
    </Space>
  );
}

function Duplicates({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const qc = useQueryClient();
  const dups = useQuery({
    queryKey: ['customer', customer.id, 'duplicates'],
    queryFn: () => unwrap(api.GET('/api/v1/customers/{customer_id}/duplicates', { params: { path: { customer_id: customer.id } } })),
  });
  const merge = useMutation({
    mutationFn: (from: string) => unwrap(api.POST('/api/v1/customers/{customer_id}/merge', { params: { path: { customer_id: customer.id } }, body: { from: [from] } })),
    onSuccess: () => { message.success(t('customers.merged')); void qc.invalidateQueries({ queryKey: ['customer', customer.id] }); void qc.invalidateQueries({ queryKey: ['customers'] }); },
    onError: (e) => message.error(errorText(e)),
  });
  if (!dups.data?.length) return null;
  return (
    <Alert type="warning" showIcon style={{ marginBottom: 16 }} data-testid="duplicates"
      title={t('customers.duplicateWarning', { n: dups.data.length })}
      description={
        <List size="small" dataSource={dups.data} renderItem={(d) => (
          <List.Item actions={[
            <Button key="m" size="small" icon={<MergeCellsOutlined />} loading={merge.isPending}
              onClick={() => modal.confirm({ title: t('customers.mergeConfirm', { name: d.customer.name }), onOk: () => merge.mutateAsync(d.customer.id) })}>
              {t('customers.merge')}
            </Button>,
          ]}>
            <Link to={`/customers/${d.customer.id}`}>{d.customer.name}</Link>&nbsp;
            <Typography.Text type="secondary">{d.customer.number} · {d.reasons.join(', ')}</Typography.Text>
          </List.Item>
        )} />
      } />
  );
}

function CustomerTimeline({ id }: { id: string }) {
  const { t } = useTranslation();
  const list = useCursorList(['customer', id, 'timeline'], (cursor) =>
    unwrap(api.GET('/api/v1/customers/{customer_id}/timeline', { params: { path: { customer_id: id }, query: { cursor, limit: 30 } } })));
  if (list.isError) return <ErrorState error={list.error} />;
  if (!list.isPending && list.items.length === 0) return <Empty description={t('common.empty')} />;
  return (
    <div data-testid="timeline">
      <Timeline items={list.items.map((e) => ({
        key: e.id,
        color: e.kind.startsWith('followup') ? 'green' : 'blue',
        children: (
          <div>
            <Typography.Text strong>{e.summary}</Typography.Text>
            <div><Typography.Text type="secondary">{fmtTime(e.at)} · {e.actor_label} · {t(`timelineKind.${e.kind}`, { defaultValue: t('timelineKind.edited') })}</Typography.Text></div>
          </div>
        ),
      }))} />
      {list.hasNextPage && <Button onClick={() => list.fetchNextPage()} loading={list.isFetchingNextPage}>{t('common.more')}</Button>}
    </div>
  );
}

function Tasks({ customerId, writable }: { customerId: string; writable: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const { name } = useUserNames();
  const tasks = useQuery({
    queryKey: ['customer', customerId, 'tasks'],
    queryFn: () => unwrap(api.GET('/api/v1/tasks', { params: { query: { related_id: customerId, limit: 100 } } })),
  });
  const [form] = Form.useForm<{ title: string; due_at?: Dayjs }>();
  const create = useMutation({
    mutationFn: (v: { title: string; due_at?: Dayjs }) => unwrap(api.POST('/api/v1/tasks', {
      body: { title: v.title, due_at: v.due_at?.toISOString() ?? null, related_type: 'customer', related_id: customerId } })),
    onSuccess: () => { form.resetFields(); void qc.invalidateQueries({ queryKey: ['customer', customerId] }); void qc.invalidateQueries({ queryKey: ['tasks'] }); },
  });
  const complete = useMutation({
    mutationFn: (task: Schemas['TaskOut']) => unwrap(api.PATCH('/api/v1/tasks/{task_id}', {
      params: { path: { task_id: task.id }, header: { 'If-Match': etagOf(task.version) } }, body: { status: task.status === 'done' ? 'open' : 'done' } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['customer', customerId, 'tasks'] }),
  });
  return (
    <div>
      {writable && (
        <Form form={form} layout="inline" onFinish={(v) => create.mutate(v)} style={{ marginBottom: 12, rowGap: 8 }}>
          <Form.Item name="title" rules={[{ required: true }]}><Input placeholder={t('tasks.title')} /></Form.Item>
          <Form.Item name="due_at"><DatePicker showTime placeholder={t('tasks.due')} /></Form.Item>
          <Button htmlType="submit" loading={create.isPending}>{t('tasks.new')}</Button>
        </Form>
      )}
      <InlineError error={create.error ?? complete.error} />
      <QueryState query={tasks} empty={(d) => d.items.length === 0}>
        {(d) => (
          <List dataSource={d.items} renderItem={(task) => (
            <List.Item>
              <Checkbox checked={task.status === 'done'} disabled={!writable} onChange={() => complete.mutate(task)}>
                <span style={{ textDecoration: task.status === 'done' ? 'line-through' : undefined }}>{task.title}</span>
              </Checkbox>
              <Typography.Text type={task.due_at && task.status === 'open' && new Date(task.due_at) < new Date() ? 'danger' : 'secondary'}>
                {fmtTime(task.due_at)} · {name(task.assignee_id)}
              </Typography.Text>
            </List.Item>
          )} />
        )}
      </QueryState>
    </div>
  );
}

function Opportunities({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const label = useLabels();
  const opps = useQuery({
    queryKey: ['customer', customerId, 'opportunities'],
    queryFn: () => unwrap(api.GET('/api/v1/opportunities', { params: { query: { customer_id: customerId, limit: 100 } } })),
  });
  const pipelines = useQuery({ queryKey: ['pipelines'], queryFn: () => unwrap(api.GET('/api/v1/pipelines')) });
  const stageName = (id: string) => pipelines.data?.flatMap((p) => p.stages).find((s) => s.id === id)?.name ?? '—';
  return (
    <QueryState query={opps} empty={(d) => !('items' in d) || d.items.length === 0}>
      {(d) => (
        <Table rowKey="id" size="small" pagination={false} scroll={{ x: 'max-content' }} dataSource={'items' in d ? d.items : []} columns={[
          { title: t('common.name'), dataIndex: 'name', render: (v) => <Link to="/pipeline">{v}</Link> },
          { title: t('pipeline.stage'), dataIndex: 'stage_id', render: stageName },
          { title: t('common.amount'), dataIndex: 'amount', render: (v, r) => fmtMoney(v, r.currency) },
          { title: t('pipeline.closeDate'), dataIndex: 'expected_close_date', render: fmtDate },
          { title: t('common.status'), dataIndex: 'status', render: (v) => label('opportunity_status', v) },
        ]} />
      )}
    </QueryState>
  );
}

function Contracts({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const q = useQuery({
    queryKey: ['customer', customerId, 'contracts'],
    queryFn: () => unwrap(api.GET('/api/v1/contracts', { params: { query: { customer_id: customerId, limit: 100 } } })).then(liveItems),
  });
  if (q.isError && q.error instanceof ApiError && q.error.status === 404) return <Empty description={t('contracts.notAvailable')} />;
  return (
    <>
    {can(me.data, 'contracts:write') && <Button size="small" icon={<PlusOutlined />} style={{ marginBottom: 8 }} onClick={() => setCreating(true)}>{t('contracts.new')}</Button>}
    {creating && <Suspense fallback={null}><NewContractModal customerId={customerId} onClose={() => setCreating(false)} /></Suspense>}
    <QueryState query={q} empty={(d) => d.items.length === 0}>
      {(d) => (
        <Table rowKey="id" size="small" pagination={false} scroll={{ x: 'max-content' }} dataSource={d.items} columns={[
          { title: t('contracts.number'), dataIndex: 'number', render: (v, r) => <Link to={`/contracts/${r.id}`}>{v}</Link> },
          { title: t('common.name'), dataIndex: 'title' },
          { title: t('common.amount'), dataIndex: 'amount', render: (v, r) => fmtMoney(v, r.currency) },
          { title: t('common.status'), dataIndex: 'status', render: (v) => t(`enums.contractStatus.${v}`) },
        ]} />
      )}
    </QueryState>
    </>
  );
}
