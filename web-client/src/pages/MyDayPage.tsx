import { CheckOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Badge, Button, Card, Checkbox, Col, Empty, List, Row, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../api/client';
import { GradeTag, LeadGradeTag } from '../components/bits';
import { QueryState, InlineError } from '../components/States';
import { can, useMe } from '../app/session';
import { formatDateTime, formatMoney, fromNow } from '../i18n/format';
import { useLabels } from '../i18n/labels';
import { NewTaskModal } from './NewTaskModal';

/** An empty card says so, and offers the next thing to do. */
function Nothing({ text, action, testId }: { text: string; action?: ReactNode; testId: string }) {
  return (
    <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={text} data-testid={testId}>
      {action}
    </Empty>
  );
}

export function linkOf(data: Record<string, unknown> | undefined): string | null {
  if (!data) return null;
  const id = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : null);
  if (id('contract_id')) return `/contracts/${id('contract_id')}`;
  if (id('customer_id')) return `/customers/${id('customer_id')}`;
  if (id('lead_id')) return `/leads?open=${id('lead_id')}`;
  if (id('opportunity_id')) return '/pipeline';
  return null;
}

export default function MyDayPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const label = useLabels();
  const me = useMe();
  const qc = useQueryClient();
  const [addingTask, setAddingTask] = useState(false);
  const endOfDay = dayjs().endOf('day');
  const tasks = useQuery({
    queryKey: ['tasks', 'my-day'],
    queryFn: () => unwrap(api.GET('/api/v1/tasks', { params: { query: { assignee: 'me', status: 'open', due_before: endOfDay.toISOString(), limit: 100 } } })),
  });
  const customers = useQuery({
    queryKey: ['customers', 'due'],
    enabled: can(me.data, 'customers:read'),
    queryFn: async () => {
      const page = await unwrap(api.GET('/api/v1/customers', { params: { query: { owner: 'me', sort: 'last_followup_at', limit: 200 } } }));
      const stale = dayjs().subtract(30, 'day');
      return (page.items as Schemas['CustomerOut'][]).filter((c) => !c.deleted && (
        (c.next_followup_at && dayjs(c.next_followup_at).isBefore(endOfDay)) || (c.last_followup_at && dayjs(c.last_followup_at).isBefore(stale))));
    },
  });
  const leads = useQuery({
    queryKey: ['leads', 'my-day'],
    enabled: can(me.data, 'leads:read'),
    queryFn: () => unwrap(api.GET('/api/v1/leads', { params: { query: { owner: 'me', status: 'new', limit: 50 } } })),
  });
  const approvals = useQuery({
    queryKey: ['approvals', 'inbox'],
    enabled: can(me.data, 'contracts:approve'),
    queryFn: () => unwrap(api.GET('/api/v1/approvals', { params: { query: { assignee: 'me', limit: 50 } } })),
  });
  const notes = useQuery({
    queryKey: ['notifications', 'unread'],
    queryFn: () => unwrap(api.GET('/api/v1/notifications', { params: { query: { unread_only: true, limit: 50 } } })),
  });
  const done = useMutation({
    mutationFn: (task: Schemas['TaskOut']) => unwrap(api.PATCH('/api/v1/tasks/{task_id}', {
      params: { path: { task_id: task.id }, header: { 'If-Match': etagOf(task.version) } }, body: { status: 'done' } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['tasks'] }),
  });
  const read = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/notifications/{notification_id}/read', { params: { path: { notification_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['notifications'] }),
  });
  const readAll = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/notifications/read-all')),
    onSuccess: (r) => {
      message.success(t('myday.markedAllRead', { count: r.marked }));
      void qc.invalidateQueries({ queryKey: ['notifications'] });
    },
  });

  return (
    <div>
      <Typography.Title level={3}>{t('myDay.title')}</Typography.Title>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={t('myDay.tasks')} size="small" data-testid="my-tasks"
            extra={<Button type="link" size="small" icon={<PlusOutlined />} onClick={() => setAddingTask(true)}>{t('myday.newTask')}</Button>}>
            <InlineError error={done.error} />
            <QueryState query={tasks}>
              {(d) => d.items.length === 0 ? (
                <Nothing testId="no-tasks" text={t('myday.noTasks')}
                  action={<Button type="primary" icon={<PlusOutlined />} onClick={() => setAddingTask(true)}>{t('myday.newTask')}</Button>} />
              ) : (
                <List dataSource={d.items} renderItem={(task) => {
                  const overdue = task.due_at && dayjs(task.due_at).isBefore(dayjs());
                  return (
                    <List.Item>
                      <Checkbox onChange={() => done.mutate(task)}>{task.title}</Checkbox>
                      <span>
                        {overdue ? <Tag color="red">{t('tasks.overdue')}</Tag> : <Tag color="blue">{t('tasks.today')}</Tag>}
                        {task.related_type === 'customer' && task.related_id && <Link to={`/customers/${task.related_id}`}>{formatDateTime(task.due_at)}</Link>}
                        {task.related_type !== 'customer' && formatDateTime(task.due_at)}
                      </span>
                    </List.Item>
                  );
                }} />
              )}
            </QueryState>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('myDay.followups')} size="small">
            <QueryState query={customers}>
              {(d) => d.length === 0 ? (
                <Nothing testId="no-followups" text={t('myday.noFollowups')}
                  action={<Link to="/customers"><Button>{t('myday.viewCustomers')}</Button></Link>} />
              ) : (
                <List dataSource={d} renderItem={(c) => (
                  <List.Item>
                    <Link to={`/customers/${c.id}`}>{c.name}</Link>
                    <span><GradeTag grade={c.grade} /> {formatDateTime(c.next_followup_at ?? c.last_followup_at)}</span>
                  </List.Item>
                )} />
              )}
            </QueryState>
          </Card>
        </Col>
        {can(me.data, 'leads:read') && (
          <Col xs={24} lg={12}>
            <Card title={t('myDay.leads')} size="small">
              <QueryState query={leads}>
                {(d) => d.items.length === 0 ? (
                  <Nothing testId="no-leads" text={t('myday.noLeads')}
                    action={<Link to="/leads"><Button>{t('myday.viewLeads')}</Button></Link>} />
                ) : (
                  <List dataSource={d.items} renderItem={(l) => (
                    <List.Item>
                      <Link to={`/leads?open=${l.id}`}>{l.company || l.name || l.number}</Link>
                      <span><LeadGradeTag grade={l.grade} /> {l.score}</span>
                    </List.Item>
                  )} />
                )}
              </QueryState>
            </Card>
          </Col>
        )}
        {can(me.data, 'contracts:approve') && (
          <Col xs={24} lg={12}>
            <Card title={t('myDay.approvals')} size="small" data-testid="my-approvals" extra={<Link to="/approvals">{t('common.view')}</Link>}>
              {approvals.isError && approvals.error instanceof ApiError && approvals.error.status === 404
                ? <Empty description={t('myDay.noApprovals')} />
                : (
                  <QueryState query={approvals}>
                    {(d) => d.items.length === 0 ? (
                      <Nothing testId="no-approvals" text={t('myDay.noApprovals')}
                        action={<Link to="/contracts"><Button>{t('myday.viewContracts')}</Button></Link>} />
                    ) : (
                      <List dataSource={d.items} renderItem={(a) => (
                        <List.Item>
                          <Link to={`/contracts/${a.contract_id}`}>{a.number} {a.title}</Link>
                          <span>{label('approval_step_role', a.role)} · {formatMoney(a.amount, a.currency)}</span>
                        </List.Item>
                      )} />
                    )}
                  </QueryState>
                )}
            </Card>
          </Col>
        )}
        <Col xs={24} lg={12}>
          <Card size="small" title={<span>{t('myDay.notifications')} <Badge status="processing" text={t('common.live')} /></span>} data-testid="my-notifications"
            extra={(notes.data?.items.length ?? 0) > 0 && (
              <Button size="small" icon={<CheckOutlined />} loading={readAll.isPending} onClick={() => readAll.mutate()} data-testid="mark-all-read">{t('myday.markAllRead')}</Button>)}>
            <InlineError error={readAll.error ?? read.error} />
            <QueryState query={notes}>
              {(d) => d.items.length === 0 ? (
                <Nothing testId="no-notifications" text={t('myday.noNotifications')}
                  action={<Button onClick={() => void notes.refetch()}>{t('common.refresh')}</Button>} />
              ) : (
                <List dataSource={d.items} renderItem={(n) => {
                  const to = linkOf(n.data);
                  return (
                    <List.Item actions={[<Button key="r" size="small" icon={<CheckOutlined />} onClick={() => read.mutate(n.id)}>{t('common.markRead')}</Button>]}>
                      <List.Item.Meta title={to ? <Link to={to}>{n.title}</Link> : n.title} description={<>{n.body} · <span title={formatDateTime(n.created_at)}>{fromNow(n.created_at)}</span></>} />
                    </List.Item>
                  );
                }} />
              )}
            </QueryState>
          </Card>
        </Col>
      </Row>
      {addingTask && <NewTaskModal onClose={() => setAddingTask(false)} />}
    </div>
  );
}
