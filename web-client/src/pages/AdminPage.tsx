import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert, App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag, Tabs, Typography,
} from 'antd';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api, etagOf, unwrap, type Schemas } from '../api/client';
import { useCursorList, useUserNames } from '../api/hooks';
import { fmtTime } from '../components/bits';
import { ForbiddenPage, InlineError, NotFoundPage, QueryState, ErrorState } from '../components/States';
import { can, useMe } from '../app/session';

const Integrations = lazy(() => import('./admin/Integrations'));

const ROLES = ['admin', 'manager', 'sales_rep', 'finance', 'executive', 'legal', 'service_agent'] as const;
const SCOPES: Schemas['Scope'][] = ['users:read', 'users:write', 'departments:read', 'departments:write', 'api_keys:write', 'audit:read',
  'customers:read', 'customers:write', 'leads:read', 'leads:write', 'opportunities:read', 'opportunities:write', 'contracts:read',
  'contracts:write', 'contracts:approve', 'contracts:payments', 'tickets:read', 'tickets:write', 'reports:read', 'pii:reveal', 'notifications:read',
  'settings:read', 'settings:write'];

function useRoles() {
  return useQuery({ queryKey: ['roles'], queryFn: () => unwrap(api.GET('/api/v1/roles')), staleTime: 10 * 60_000 });
}

/** The permission matrix as the server enforces it: a row per scope, a column per role. */
function Roles() {
  const { t } = useTranslation();
  const roles = useRoles();
  return (
    <Card size="small">
      <Typography.Paragraph type="secondary">{t('admin.rolesFixed')}</Typography.Paragraph>
      <QueryState query={roles}>
        {(rows) => (
          <Table rowKey="scope" size="small" pagination={false} scroll={{ x: 'max-content' }} data-testid="roles-matrix"
            dataSource={(rows.find((r) => r.role === 'admin')?.scopes ?? []).map((scope) => ({ scope }))}
            columns={[
              { title: t('admin.permission'), dataIndex: 'scope', render: (s: string) => <Typography.Text code>{s}</Typography.Text> },
              ...rows.map((r) => ({ title: t(`enums.role.${r.role}`), key: r.role, align: 'center' as const,
                render: (_: unknown, row: { scope: Schemas['Scope'] }) => (r.scopes.includes(row.scope) ? '✓' : '') })),
            ]} />
        )}
      </QueryState>
    </Card>
  );
}

function useDepartments() {
  return useQuery({ queryKey: ['departments'], queryFn: () => unwrap(api.GET('/api/v1/departments', { params: { query: { limit: 200 } } })) });
}

export default function AdminPage() {
  const { section = 'users' } = useParams();
  const { t } = useTranslation();
  const me = useMe();
  if (me.data?.role !== 'admin' && !can(me.data, 'settings:write')) return <ForbiddenPage />;
  const screens: Record<string, [string, React.ReactNode]> = {
    users: ['nav.users', <Users />], departments: ['nav.departments', <Departments />], 'api-keys': ['nav.apiKeys', <ApiKeys />],
    'custom-fields': ['nav.customFields', <CustomFields />], rules: ['nav.rules', <Rules />], 'approval-policy': ['nav.approvalPolicy', <ApprovalPolicy />],
    webhooks: ['nav.webhooks', <Suspense><Integrations kind="webhooks" /></Suspense>],
    templates: ['nav.templates', <Suspense><Integrations kind="templates" /></Suspense>], roles: ['nav.roles', <Roles />],
    audit: ['nav.audit', <Audit />],
  };
  const screen = screens[section];
  if (!screen) return <NotFoundPage />;
  return (
    <div>
      <Typography.Title level={3}>{t(screen[0])}</Typography.Title>
      {screen[1]}
    </div>
  );
}

function Users() {
  const { t } = useTranslation();
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
        <Input.Search allowClear placeholder={t('common.search')} onSearch={setQ} />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('admin.newUser')}</Button>
      </Space>
      <Table rowKey="id" size="small" dataSource={list.items} loading={list.isPending} pagination={false} scroll={{ x: 'max-content' }}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('customers.email'), dataIndex: 'email' },
          { title: t('admin.role'), dataIndex: 'role', render: (r, u) => (
            <Select size="small" value={r} style={{ width: 120 }} onChange={(role) => patch.mutate({ u, body: { role } })} options={ROLES.map((x) => ({ value: x, label: t(`enums.role.${x}`) }))} />) },
          { title: t('admin.department'), dataIndex: 'department_id', render: (d, u) => (
            <Select size="small" value={d} style={{ width: 180 }} allowClear onChange={(department_id) => patch.mutate({ u, body: { department_id: department_id ?? null } })}
              options={(depts.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))} placeholder={deptName(d)} />) },
          { title: t('admin.active'), dataIndex: 'is_active', render: (a, u) => <Switch size="small" checked={a} onChange={(is_active) => patch.mutate({ u, body: { is_active } })} /> },
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
        <Form.Item name="role" label={t('admin.role')}><Select options={ROLES.map((x) => ({ value: x, label: t(`enums.role.${x}`) }))} /></Form.Item>
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
      <Input.Password placeholder={t('admin.newPassword')} value={pw} onChange={(e) => setPw(e.target.value)} autoComplete="new-password" />
    </Modal>
  );
}

function Departments() {
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
        <Input placeholder={t('common.name')} value={name} onChange={(e) => setName(e.target.value)} />
        <Select allowClear placeholder={t('admin.parent')} style={{ width: 200 }} value={parent} onChange={setParent} options={items.map((d) => ({ value: d.id, label: d.name }))} />
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

function ApiKeys() {
  const { t } = useTranslation();
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
        <Input placeholder={t('common.name')} value={name} onChange={(e) => setName(e.target.value)} />
        <Select mode="multiple" style={{ minWidth: 320 }} value={scopes} onChange={setScopes} options={scopeChoices.map((s) => ({ value: s, label: s }))} />
        <Button type="primary" disabled={!name || !scopes.length} loading={create.isPending} onClick={() => create.mutate()}>{t('admin.newKey')}</Button>
      </Space>
      <QueryState query={keys} empty={(d) => d.items.length === 0}>
        {(d) => (
          <Table rowKey="id" size="small" pagination={false} dataSource={d.items} scroll={{ x: 'max-content' }} columns={[
            { title: t('common.name'), dataIndex: 'name' },
            { title: t('admin.prefix'), dataIndex: 'prefix', render: (v) => <Typography.Text code>{v}…</Typography.Text> },
            { title: t('admin.scopes'), dataIndex: 'scopes', render: (s: string[]) => s.map((x) => <Tag key={x}>{x}</Tag>) },
            { title: t('common.createdAt'), dataIndex: 'created_at', render: fmtTime },
            { title: t('common.status'), dataIndex: 'revoked_at', render: (v) => (v ? <Tag color="red">{t('admin.revoked')}</Tag> : <Tag color="green">{t('admin.active')}</Tag>) },
            { title: t('common.actions'), render: (_, k) => !k.revoked_at && <Button size="small" danger onClick={() => revoke.mutate(k.id)}>{t('admin.revoke')}</Button> },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}

function CustomFields() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const fields = useQuery({ queryKey: ['custom-fields'], queryFn: () => unwrap(api.GET('/api/v1/custom-fields')) });
  const [form] = Form.useForm<Schemas['CustomFieldCreate']>();
  const type = Form.useWatch('type', form);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['custom-fields'] });
  const create = useMutation({ mutationFn: (v: Schemas['CustomFieldCreate']) => unwrap(api.POST('/api/v1/custom-fields', { body: v })), onSuccess: () => { form.resetFields(); refresh(); } });
  const patch = useMutation({
    mutationFn: ({ f, body }: { f: Schemas['CustomFieldOut']; body: Schemas['CustomFieldUpdate'] }) => unwrap(api.PATCH('/api/v1/custom-fields/{field_id}', {
      params: { path: { field_id: f.id }, header: { 'If-Match': etagOf(f.version) } }, body })),
    onSuccess: refresh,
  });
  return (
    <Card size="small">
      <InlineError error={create.error ?? patch.error} />
      <Form form={form} layout="inline" initialValues={{ type: 'text', options: [] }} onFinish={(v) => create.mutate(v)} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="key" rules={[{ required: true }]}><Input placeholder={t('admin.key')} /></Form.Item>
        <Form.Item name="label" rules={[{ required: true }]}><Input placeholder={t('admin.label')} /></Form.Item>
        <Form.Item name="type"><Select style={{ width: 140 }} options={['text', 'number', 'date', 'boolean', 'single_choice', 'multi_choice'].map((x) => ({ value: x, label: x }))} /></Form.Item>
        {(type === 'single_choice' || type === 'multi_choice') && <Form.Item name="options"><Select mode="tags" style={{ minWidth: 200 }} placeholder={t('admin.options')} /></Form.Item>}
        <Form.Item name="required" valuePropName="checked"><Switch checkedChildren={t('admin.required')} unCheckedChildren={t('admin.required')} /></Form.Item>
        <Button type="primary" htmlType="submit" loading={create.isPending}>{t('admin.newField')}</Button>
      </Form>
      <QueryState query={fields} empty={(d) => d.length === 0}>
        {(d) => (
          <Table rowKey="id" size="small" pagination={false} dataSource={d} scroll={{ x: 'max-content' }} columns={[
            { title: t('admin.key'), dataIndex: 'key' },
            { title: t('admin.label'), dataIndex: 'label' },
            { title: t('admin.type'), dataIndex: 'type' },
            { title: t('admin.options'), dataIndex: 'options', render: (o: string[]) => o.join(', ') },
            { title: t('admin.required'), dataIndex: 'required', render: (v, f) => <Switch size="small" checked={v} onChange={(required) => patch.mutate({ f, body: { required } })} /> },
            { title: t('admin.active'), dataIndex: 'active', render: (v, f) => <Switch size="small" checked={v} onChange={(active) => patch.mutate({ f, body: { active } })} /> },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}

/** JSON editing for the parts of a settings document a table cannot show well. */
function JsonEditor<T>({ value, onSave, saving }: { value: T; onSave: (v: T) => void; saving: boolean }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Input.TextArea rows={14} value={text} onChange={(e) => setText(e.target.value)} style={{ fontFamily: 'monospace', fontSize: 12 }} />
      {bad && <Alert type="error" title={bad} />}
      <Button type="primary" loading={saving} onClick={() => { try { setBad(null); onSave(JSON.parse(text)); } catch (e) { setBad((e as Error).message); } }}>{t('common.save')}</Button>
    </Space>
  );
}

function Rules() {
  const { t } = useTranslation();
  return (
    <Tabs items={[
      { key: 'routing', label: t('admin.routing'), children: <Routing /> },
      { key: 'reps', label: t('admin.reps'), children: <Reps /> },
      { key: 'scoring', label: t('admin.scoring'), children: <Scoring /> },
    ]} />
  );
}

function Scoring() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const scoring = useQuery({ queryKey: ['lead-scoring'], queryFn: () => unwrap(api.GET('/api/v1/lead-scoring')) });
  const save = useMutation({
    mutationFn: (v: Schemas['ScoringModelIn']) => unwrap(api.PUT('/api/v1/lead-scoring', { params: { header: { 'If-Match': etagOf(scoring.data!.version) } }, body: v })),
    onSuccess: () => { message.success(t('common.saved')); void qc.invalidateQueries({ queryKey: ['lead-scoring'] }); },
  });
  return (
    <QueryState query={scoring}>
      {(s) => {
        const { version: _v, ...doc } = s;
        void _v;
        return (
          <Card size="small">
            <InlineError error={save.error} />
            <Space wrap style={{ marginBottom: 12 }}>
              <span>{t('admin.highFrom')}: <b>{s.high_from}</b></span><span>{t('admin.mediumFrom')}: <b>{s.medium_from}</b></span>
              {s.rules.map((r) => <Tag key={r.kind} color={r.enabled === false ? 'default' : 'blue'}>{r.kind}</Tag>)}
            </Space>
            <JsonEditor key={s.version} value={doc as unknown as Schemas['ScoringModelIn']} saving={save.isPending} onSave={(v) => save.mutate(v)} />
          </Card>
        );
      }}
    </QueryState>
  );
}

function Routing() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const depts = useDepartments();
  const routing = useQuery({ queryKey: ['lead-routing'], queryFn: () => unwrap(api.GET('/api/v1/lead-routing')) });
  const [rules, setRules] = useState<Schemas['RoutingRuleIO'][] | null>(null);
  const save = useMutation({
    mutationFn: (r: Schemas['RoutingRuleIO'][]) => unwrap(api.PUT('/api/v1/lead-routing', {
      params: { header: { 'If-Match': etagOf(routing.data!.version) } },
      body: { rules: r, queue_user_id: routing.data!.queue_user_id, stale_days: routing.data!.stale_days, first_contact_hours: routing.data!.first_contact_hours } })),
    onSuccess: () => { message.success(t('common.saved')); setRules(null); void qc.invalidateQueries({ queryKey: ['lead-routing'] }); },
  });
  return (
    <QueryState query={routing}>
      {(r) => {
        const shown = rules ?? r.rules;
        const upd = (i: number, p: Partial<Schemas['RoutingRuleIO']>) => setRules(shown.map((x, j) => (j === i ? { ...x, ...p } : x)));
        return (
          <Card size="small">
            <InlineError error={save.error} />
            <Table rowKey={(_, i) => String(i)} size="small" pagination={false} dataSource={shown} scroll={{ x: 'max-content' }} columns={[
              { title: t('admin.rule'), dataIndex: 'name', render: (v, _, i) => <Input size="small" value={v} onChange={(e) => upd(i, { name: e.target.value })} /> },
              { title: t('admin.department'), dataIndex: 'department_id', render: (v, _, i) => <Select size="small" style={{ width: 180 }} value={v} onChange={(d) => upd(i, { department_id: d })} options={(depts.data?.items ?? []).map((d) => ({ value: d.id, label: d.name }))} /> },
              { title: t('admin.regions'), dataIndex: 'regions', render: (v, _, i) => <Select size="small" mode="tags" style={{ minWidth: 120 }} value={v ?? []} onChange={(x) => upd(i, { regions: x })} /> },
              { title: t('admin.industries'), dataIndex: 'industries', render: (v, _, i) => <Select size="small" mode="tags" style={{ minWidth: 120 }} value={v ?? []} onChange={(x) => upd(i, { industries: x })} /> },
              { title: t('admin.method'), dataIndex: 'method', render: (v, _, i) => <Select size="small" style={{ width: 130 }} value={v ?? 'round_robin'} onChange={(m) => upd(i, { method: m })} options={[{ value: 'round_robin', label: 'round robin' }, { value: 'least_loaded', label: 'least loaded' }]} /> },
              { title: t('admin.enabled'), dataIndex: 'enabled', render: (v, _, i) => <Switch size="small" checked={v !== false} onChange={(e) => upd(i, { enabled: e })} /> },
              { title: '', render: (_, __, i) => <Button size="small" danger onClick={() => setRules(shown.filter((_x, j) => j !== i))}>{t('common.delete')}</Button> },
            ]} />
            <Space style={{ marginTop: 12 }}>
              <Button icon={<PlusOutlined />} onClick={() => setRules([...shown, { name: '', department_id: depts.data?.items[0]?.id ?? '', regions: [], industries: [], method: 'round_robin', enabled: true }])}>{t('admin.addRule')}</Button>
              <Button type="primary" disabled={!rules} loading={save.isPending} onClick={() => rules && save.mutate(rules)}>{t('common.save')}</Button>
            </Space>
          </Card>
        );
      }}
    </QueryState>
  );
}

function Reps() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const reps = useQuery({ queryKey: ['lead-routing', 'reps'], queryFn: () => unwrap(api.GET('/api/v1/lead-routing/reps', { params: { query: { limit: 200 } } })) });
  const patch = useMutation({
    mutationFn: ({ id, body }: { id: string; body: Schemas['AvailabilityIn'] }) => unwrap(api.PATCH('/api/v1/lead-routing/reps/{user_id}', { params: { path: { user_id: id } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['lead-routing', 'reps'] }),
  });
  return (
    <Card size="small">
      <InlineError error={patch.error} />
      <QueryState query={reps} empty={(d) => d.items.length === 0}>
        {(d) => (
          <Table rowKey="user_id" size="small" pagination={false} dataSource={d.items} scroll={{ x: 'max-content' }} columns={[
            { title: t('common.name'), dataIndex: 'name' },
            { title: t('admin.openLeads'), dataIndex: 'open_leads' },
            { title: t('admin.capacity'), dataIndex: 'capacity', render: (v, r) => <InputNumber size="small" min={0} value={v} onBlur={(e) => { const n = e.target.value === '' ? null : Number(e.target.value); if (n !== v) patch.mutate({ id: r.user_id, body: { capacity: n } }); }} /> },
            { title: t('admin.away'), dataIndex: 'away', render: (v, r) => <Switch size="small" checked={v} onChange={(away) => patch.mutate({ id: r.user_id, body: { away } })} /> },
            { title: t('admin.inRotation'), dataIndex: 'in_rotation', render: (v, r) => <Switch size="small" checked={v} onChange={(in_rotation) => patch.mutate({ id: r.user_id, body: { in_rotation } })} /> },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}

function ApprovalPolicy() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const { users } = useUserNames();
  const policy = useQuery({ queryKey: ['approval-policy'], queryFn: () => unwrap(api.GET('/api/v1/approval-policy')) });
  const save = useMutation({
    mutationFn: (body: Schemas['PolicyIn']) => unwrap(api.PUT('/api/v1/approval-policy', { params: { header: { 'If-Match': etagOf(policy.data!.version) } }, body })),
    onSuccess: () => { message.success(t('common.saved')); void qc.invalidateQueries({ queryKey: ['approval-policy'] }); },
  });
  return (
    <QueryState query={policy}>
      {(p) => (
        <Card size="small">
          <InlineError error={save.error} />
          <Form key={p.version} layout="vertical" style={{ maxWidth: 520 }}
            initialValues={{ cny: p.executive_thresholds?.CNY, remind: p.remind_after_hours, escalate: p.escalate_after_hours, renewal: p.renewal_days_before, finance: p.finance_approver_id, executive: p.executive_approver_id }}
            onFinish={(v: { cny?: string; remind: number; escalate: number; renewal: number; finance?: string; executive?: string }) => save.mutate({
              executive_thresholds: { ...(p.executive_thresholds ?? {}), ...(v.cny ? { CNY: String(v.cny) } : {}) },
              remind_after_hours: v.remind, escalate_after_hours: v.escalate, renewal_days_before: v.renewal,
              finance_approver_id: v.finance ?? null, executive_approver_id: v.executive ?? null, calendar: p.calendar,
            })}>
            <Form.Item name="cny" label={`${t('contracts.executiveAbove')} (CNY)`}><InputNumber min={0} stringMode style={{ width: 220 }} /></Form.Item>
            <Space wrap>
              <Form.Item name="remind" label="remind_after_hours"><InputNumber min={0.5} max={720} /></Form.Item>
              <Form.Item name="escalate" label="escalate_after_hours"><InputNumber min={0.5} max={720} /></Form.Item>
              <Form.Item name="renewal" label="renewal_days_before"><InputNumber min={1} max={365} /></Form.Item>
            </Space>
            <Form.Item name="finance" label={t('enums.role.finance')}><Select allowClear options={users.filter((u) => u.role === 'finance').map((u) => ({ value: u.id, label: u.name }))} /></Form.Item>
            <Form.Item name="executive" label={t('enums.role.executive')}><Select allowClear options={users.filter((u) => u.role === 'executive').map((u) => ({ value: u.id, label: u.name }))} /></Form.Item>
            <Button type="primary" htmlType="submit" loading={save.isPending}>{t('common.save')}</Button>
          </Form>
        </Card>
      )}
    </QueryState>
  );
}

function Audit() {
  const { t } = useTranslation();
  const [action, setAction] = useState('');
  const list = useCursorList<Schemas['AuditEntryOut']>(['audit', action], (cursor) => unwrap(api.GET('/api/v1/audit-log', { params: { query: { action: action || undefined, cursor, limit: 100 } } })));
  if (list.isError) return <ErrorState error={list.error} />;
  return (
    <Card size="small">
      <Input.Search allowClear placeholder="action" style={{ width: 240, marginBottom: 12 }} onSearch={setAction} />
      <Table rowKey="id" size="small" pagination={false} dataSource={list.items} loading={list.isPending} scroll={{ x: 'max-content' }} columns={[
        { title: 'at', dataIndex: 'at', render: fmtTime },
        { title: 'actor', dataIndex: 'actor_label' },
        { title: 'ip', dataIndex: 'ip' },
        { title: 'action', dataIndex: 'action' },
        { title: 'target', render: (_, e) => `${e.target_type ?? ''} ${e.target_id?.slice(0, 8) ?? ''}` },
        { title: 'diff', dataIndex: 'diff', render: (d) => <Typography.Text code style={{ fontSize: 11 }}>{JSON.stringify(d).slice(0, 160)}</Typography.Text> },
      ]} />
      {list.hasNextPage && <Button block onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
    </Card>
  );
}
