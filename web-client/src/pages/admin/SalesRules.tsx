import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, InputNumber, Select, Space, Switch, Table, Tag, Tabs } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, etagOf, unwrap, type Schemas } from '../../api/client';
import { useUserNames } from '../../api/hooks';
import { InlineError, QueryState } from '../../components/States';
import { useLabels } from '../../i18n/labels';
import { useDepartments } from './queries';

// How leads and contracts are handled: lead scoring, routing, rep availability, approval policy.

/** JSON editing for the parts of a settings document a table cannot show well. */
function JsonEditor<T>({ value, onSave, saving }: { value: T; onSave: (v: T) => void; saving: boolean }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Input.TextArea rows={14} value={text} aria-label={t('admin.settingsJson')} onChange={(e) => setText(e.target.value)} style={{ fontFamily: 'monospace', fontSize: 12 }} />
      {bad && <Alert type="error" title={bad} />}
      <Button type="primary" loading={saving} onClick={() => { try { setBad(null); onSave(JSON.parse(text)); } catch (e) { setBad((e as Error).message); } }}>{t('common.save')}</Button>
    </Space>
  );
}

export function Rules() {
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
  const label = useLabels();
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
              {s.rules.map((r) => <Tag key={r.kind} color={r.enabled === false ? 'default' : 'blue'}>{label('scoring_rule', r.kind)}</Tag>)}
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
  const label = useLabels();
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
              { title: t('admin.rule'), dataIndex: 'name', render: (v, _, i) => <Input size="small" value={v} aria-label={t('admin.rule')} onChange={(e) => upd(i, { name: e.target.value })} /> },
              { title: t('admin.department'), dataIndex: 'department_id', render: (v, _, i) => <Select size="small" style={{ width: 180 }} value={v} aria-label={t('admin.department')} onChange={(d) => upd(i, { department_id: d })} options={(depts.data?.items ?? []).map((d) => ({ value: d.id, label: d.name }))} /> },
              { title: t('admin.regions'), dataIndex: 'regions', render: (v, _, i) => <Select size="small" mode="tags" style={{ minWidth: 120 }} value={v ?? []} aria-label={t('admin.regions')} onChange={(x) => upd(i, { regions: x })} options={label.options('region')} /> },
              { title: t('admin.industries'), dataIndex: 'industries', render: (v, _, i) => <Select size="small" mode="tags" style={{ minWidth: 120 }} value={v ?? []} aria-label={t('admin.industries')} onChange={(x) => upd(i, { industries: x })} options={label.options('industry')} /> },
              { title: t('admin.method'), dataIndex: 'method', render: (v, _, i) => <Select size="small" style={{ width: 180 }} value={v ?? 'round_robin'} aria-label={t('admin.method')} onChange={(m) => upd(i, { method: m })} options={label.options('routing_mode')} /> },
              { title: t('admin.enabled'), dataIndex: 'enabled', render: (v, _, i) => <Switch size="small" checked={v !== false} aria-label={t('admin.enabled')} onChange={(e) => upd(i, { enabled: e })} /> },
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
            { title: t('admin.capacity'), dataIndex: 'capacity', render: (v, r) => <InputNumber size="small" min={0} value={v} aria-label={t('admin.capacity')} onBlur={(e) => { const n = e.target.value === '' ? null : Number(e.target.value); if (n !== v) patch.mutate({ id: r.user_id, body: { capacity: n } }); }} /> },
            { title: t('admin.away'), dataIndex: 'away', render: (v, r) => <Switch size="small" checked={v} aria-label={t('admin.away')} onChange={(away) => patch.mutate({ id: r.user_id, body: { away } })} /> },
            { title: t('admin.inRotation'), dataIndex: 'in_rotation', render: (v, r) => <Switch size="small" checked={v} aria-label={t('admin.inRotation')} onChange={(in_rotation) => patch.mutate({ id: r.user_id, body: { in_rotation } })} /> },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}

export function ApprovalPolicy() {
  const { t } = useTranslation();
  const label = useLabels();
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
            <Form.Item name="cny" label={`${t('contracts.executiveAbove')}（${t('admin.yuan')}）`}><InputNumber min={0} stringMode style={{ width: 220 }} /></Form.Item>
            <Space wrap>
              <Form.Item name="remind" label={t('admin.remindAfterHours')}><InputNumber min={0.5} max={720} /></Form.Item>
              <Form.Item name="escalate" label={t('admin.escalateAfterHours')}><InputNumber min={0.5} max={720} /></Form.Item>
              <Form.Item name="renewal" label={t('admin.renewalDaysBefore')}><InputNumber min={1} max={365} /></Form.Item>
            </Space>
            <Form.Item name="finance" label={label('approval_step_role', 'finance')}><Select allowClear options={users.filter((u) => u.role === 'finance').map((u) => ({ value: u.id, label: u.name }))} /></Form.Item>
            <Form.Item name="executive" label={label('approval_step_role', 'executive')}><Select allowClear options={users.filter((u) => u.role === 'executive').map((u) => ({ value: u.id, label: u.name }))} /></Form.Item>
            <Button type="primary" htmlType="submit" loading={save.isPending}>{t('common.save')}</Button>
          </Form>
        </Card>
      )}
    </QueryState>
  );
}
