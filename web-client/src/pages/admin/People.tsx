import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, etagOf, unwrap, type Schemas } from '../../api/client';
import { useCursorList } from '../../api/hooks';
import { fmtTime } from '../../components/bits';
import { ErrorState, InlineError, QueryState } from '../../components/States';
import { useLabels } from '../../i18n/labels';
import { useDepartments, useRoles } from './queries';

// Who may do what: users, their roles and departments, the role matrix, and API keys.

const ROLES = ['admin', 'manager', 'sales_rep', 'finance', 'executive', 'legal', 'service_agent'] as const;
const SCOPES: Schemas['Scope'][] = ['users:read', 'users:write', 'departments:read', 'departments:write', 'api_keys:write', 'audit:read',
  'customers:read', 'customers:write', 'leads:read', 'leads:write', 'opportunities:read', 'opportunities:write', 'contracts:read',
  'contracts:write', 'contracts:approve', 'contracts:payments', 'tickets:read', 'tickets:write', 'reports:read', 'pii:reveal', 'notifications:read',
  'settings:read', 'settings:write'];

/** The permission matrix as the server enforces it: a row per scope, a column per role. */
export function Roles() {
  const { t } = useTranslation();
  const label = useLabels();
  const roles = useRoles();
  return (
    <Card size="small">
      <Typography.Paragraph type="secondary">{t('admin.rolesFixed')}</Typography.Paragraph>
      <QueryState query={roles}>
        {(rows) => (
          <Table rowKey="scope" size="small" pagination={false} scroll={{ x: 'max-content' }} data-testid="roles-matrix"
            dataSource={(rows.find((r) => r.role === 'admin')?.scopes ?? []).map((scope) => ({ scope }))}
            columns={[
              { title: t('admin.permission'), dataIndex: 'scope', render: (s: string) => <span title={s}>{label('scope', s)}</span> },
              ...rows.map((r) => ({ title: label('role', r.role), key: r.role, align: 'center' as const,
                render: (_: unknown, row: { scope: Schemas['Scope'] }) => (r.scopes.includes(row.scope) ? '✓' : '') })),
            ]} />
        )}
      </QueryState>
    </Card>
  );
}

export function Users() {
  const { t } = useTranslation();
  const label = useLabels();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const depts = useDepartments();
  const deptName = (id: string | null) => depts.data?.items.find((d) => d.id === id)?.name ?? '—';
  const [q, setQ] = useState('');
  const list = useCursorList<Schemas['UserOut']>(['users', 'admin', q], (cursor) => unwrap(api.GET('/api/v1/users', { params: { query: { q: q || undefined, cursor, limit: 100 } } })));
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<Schemas['UserOut'] | null>(null);
  const patch = useMutation({
    mutationFn: ({ u, body }: { u: Schemas['UserOut']; body: Schemas['UserUpdate'] }) => unwrap(api.PATCH('/api/v1/users/{user_id}', {
      params: { path: { user_id: u.id }, header: { 'If-Match': etagOf(u.version) } }, body })),
    onSuccess: () => { message.success(t('common.saved')); void qc.invalidateQueries({ queryKey: ['users'] }); },
    onError: () => void qc.invalidateQueries({ queryKey: ['users'] }),
  });
  if (list.isError) return <ErrorState error={list.error} />;
  return (
    <Card size="small">
      <InlineError error={patch.error} />
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.Search allowClear placeholder={t('common.search')} aria-label={t('common.search')} onSearch={setQ} />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('admin.newUser')}</Button>
      </Space>
      <Table rowKey="id" size="small" dataSource={list.items} loading={list.isPending} pagination={false} scroll={{ x: 'max-content' }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('customers.email'), dataIndex: 'email' },
          { title: t('admin.role'), dataIndex: 'role', render: (r, u) => (
            <Select size="small" value={r} style={{ width: 120 }} aria-label={t('admin.role')} onChange={(role) => patch.mutate({ u, body: { role } })} options={ROLES.map((x) => ({ value: x, label: label('role', x) }))} />) },
          { title: t('admin.department'), dataIndex: 'department_id', render: (d, u) => (
            <Select size="small" value={d} style={{ width: 180 }} allowClear aria-label={t('admin.department')} onChange={(department_id) => patch.mutate({ u, body: { department_id: department_id ?? null } })}
              options={(depts.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))} placeholder={deptName(d)} />) },
          { title: t('admin.active'), dataIndex: 'is_active', render: (a, u) => <Switch size="small" checked={a} aria-label={t('admin.active')} onChange={(is_active) => patch.mutate({ u, body: { is_active } })} /> },
          { title: t('admin.lastLogin'), dataIndex: 'last_login_at', render: fmtTime },
          { title: t('common.actions'), render: (_, u) => <Button size="small" onClick={() => setResetting(u)}>{t('admin.resetPassword')}</Button> },
        ]} />
      {list.hasNextPage && <Button block onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
      {creating && <NewUser onClose={() => setCreating(false)} />}
      {resetting && <ResetPassword user={resetting} onClose={() => setResetting(null)} />}
    </Card>
  );
}

function NewUser({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const label = useLabels();
  const qc = useQueryClient();
  const depts = useDepartments();
  const [form] = Form.useForm<Schemas['UserCreate']>();
  const create = useMutation({
    mutationFn: (v: Schemas['UserCreate']) => unwrap(api.POST('/api/v1/users', { body: v })),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['users'] }); onClose(); },
  });
  return (
    <Modal open title={t('admin.newUser')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={create.isPending}>
      <InlineError error={create.error} />
      <Form form={form} layout="vertical" initialValues={{ role: 'sales_rep' }} onFinish={(v) => create.mutate(v)}>
        <Form.Item name="email" label={t('customers.email')} rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item name="role" label={t('admin.role')}><Select options={ROLES.map((x) => ({ value: x, label: label('role', x) }))} /></Form.Item>
        <Form.Item name="department_id" label={t('admin.department')}><Select allowClear options={(depts.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))} /></Form.Item>
        <Form.Item name="password" label={t('login.password')} rules={[{ required: true }]}><Input.Password autoComplete="new-password" /></Form.Item>
      </Form>
    </Modal>
  );
}

function ResetPassword({ user, onClose }: { user: Schemas['UserOut']; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [pw, setPw] = useState('');
  const reset = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users/{user_id}/password', { params: { path: { user_id: user.id } }, body: { new_password: pw } })),
    onSuccess: () => { message.success(t('common.saved')); onClose(); },
  });
  return (
    <Modal open title={`${t('admin.resetPassword')}: ${user.name}`} onCancel={onClose} onOk={() => reset.mutate()} confirmLoading={reset.isPending} okButtonProps={{ disabled: !pw }}>
      <InlineError error={reset.error} />
      <Input.Password placeholder={t('admin.newPassword')} aria-label={t('admin.newPassword')} value={pw} onChange={(e) => setPw(e.target.value)} autoComplete="new-password" />
    </Modal>
  );
}

export function Departments() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const { modal } = App.useApp();
  const depts = useDepartments();
  const [name, setName] = useState('');
  const [parent, setParent] = useState<string | undefined>();
  const refresh = () => void qc.invalidateQueries({ queryKey: ['departments'] });
  const create = useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/departments', { body: { name, parent_id: parent ?? null } })), onSuccess: () => { setName(''); refresh(); } });
  const rename = useMutation({
    mutationFn: ({ d, name: n }: { d: Schemas['DepartmentOut']; name: string }) => unwrap(api.PATCH('/api/v1/departments/{department_id}', {
      params: { path: { department_id: d.id }, header: { 'If-Match': etagOf(d.version) } }, body: { name: n } })),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/departments/{department_id}', { params: { path: { department_id: id } } })), onSuccess: refresh });
  const items = depts.data?.items ?? [];
  // The tree as nested rows.
  type Row = Schemas['DepartmentOut'] & { children?: Row[] };
  const build = (pid: string | null): Row[] | undefined => {
    const kids = items.filter((d) => d.parent_id === pid).map((d) => ({ ...d, children: build(d.id) }));
    return kids.length ? kids : undefined;
  };
  return (
    <Card size="small">
      <InlineError error={create.error ?? rename.error ?? remove.error} />
      <Space wrap style={{ marginBottom: 12 }}>
        <Input placeholder={t('common.name')} aria-label={t('common.name')} value={name} onChange={(e) => setName(e.target.value)} />
        <Select allowClear placeholder={t('admin.parent')} aria-label={t('admin.parent')} style={{ width: 200 }} value={parent} onChange={setParent} options={items.map((d) => ({ value: d.id, label: d.name }))} />
        <Button type="primary" disabled={!name} loading={create.isPending} onClick={() => create.mutate()}>{t('admin.newDepartment')}</Button>
      </Space>
      <QueryState query={depts}>
        {() => (
          <Table rowKey="id" size="small" pagination={false} dataSource={build(null) ?? []} expandable={{ defaultExpandAllRows: true }}
            columns={[
              { title: t('common.name'), dataIndex: 'name', render: (v, d) => <Typography.Text editable={{ onChange: (n) => n && n !== v && rename.mutate({ d, name: n }) }}>{v}</Typography.Text> },
              { title: t('common.createdAt'), dataIndex: 'created_at', render: fmtTime },
              { title: t('common.actions'), render: (_, d) => <Button size="small" danger onClick={() => modal.confirm({ title: t('common.confirm'), onOk: () => remove.mutateAsync(d.id).catch(() => undefined) })}>{t('common.delete')}</Button> },
            ]} />
        )}
      </QueryState>
    </Card>
  );
}

export function ApiKeys() {
  const { t } = useTranslation();
  const label = useLabels();
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => unwrap(api.GET('/api/v1/api-keys', { params: { query: { limit: 200 } } })) });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Schemas['Scope'][]>(['customers:read']);
  const [secret, setSecret] = useState<string | null>(null);
  // Every scope there is (an administrator's), from the server; the list below until it answers
  const scopeChoices = useRoles().data?.find((r) => r.role === 'admin')?.scopes ?? SCOPES;
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/api-keys', { body: { name, scopes } })),
    onSuccess: (k) => { setSecret(k.secret); setName(''); void qc.invalidateQueries({ queryKey: ['api-keys'] }); },
  });
  const revoke = useMutation({ mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/api-keys/{key_id}', { params: { path: { key_id: id } } })), onSuccess: () => void qc.invalidateQueries({ queryKey: ['api-keys'] }) });
  return (
    <Card size="small">
      <InlineError error={create.error ?? revoke.error} />
      {secret && <Alert type="warning" showIcon closable onClose={() => setSecret(null)} style={{ marginBottom: 12 }} title={t('admin.secretOnce')}
        description={<Typography.Text code copyable data-testid="api-key-secret">{secret}</Typography.Text>} />}
      <Space wrap style={{ marginBottom: 12 }}>
        <Input placeholder={t('common.name')} aria-label={t('common.name')} value={name} onChange={(e) => setName(e.target.value)} />
        <Select mode="multiple" style={{ minWidth: 320 }} value={scopes} onChange={setScopes} aria-label={t('admin.scopes')}
          optionFilterProp="label" options={scopeChoices.map((s) => ({ value: s, label: label('scope', s) }))} />
        <Button type="primary" disabled={!name || !scopes.length} loading={create.isPending} onClick={() => create.mutate()}>{t('admin.newKey')}</Button>
      </Space>
      <QueryState query={keys} empty={(d) => d.items.length === 0}>
        {(d) => (
          <Table rowKey="id" size="small" pagination={false} dataSource={d.items} scroll={{ x: 'max-content' }} columns={[
            { title: t('common.name'), dataIndex: 'name' },
            { title: t('admin.prefix'), dataIndex: 'prefix', render: (v) => <Typography.Text code>{v}…</Typography.Text> },
            { title: t('admin.scopes'), dataIndex: 'scopes', render: (s: string[]) => s.map((x) => <Tag key={x} title={x}>{label('scope', x)}</Tag>) },
            { title: t('common.createdAt'), dataIndex: 'created_at', render: fmtTime },
            { title: t('common.status'), dataIndex: 'revoked_at', render: (v) => (v ? <Tag color="red">{t('admin.revoked')}</Tag> : <Tag color="green">{t('admin.active')}</Tag>) },
            { title: t('common.actions'), render: (_, k) => !k.revoked_at && <Button size="small" danger onClick={() => revoke.mutate(k.id)}>{t('admin.revoke')}</Button> },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}
