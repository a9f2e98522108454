import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Form, Input, Select, Switch, Table } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, etagOf, unwrap, type Schemas } from '../../api/client';
import { InlineError, QueryState } from '../../components/States';
import { useLabels } from '../../i18n/labels';

const FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'single_choice', 'multi_choice'] as const;

export function CustomFields() {
  const { t } = useTranslation();
  const label = useLabels();
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
        <Form.Item name="key" rules={[{ required: true }]}><Input placeholder={t('admin.key')} aria-label={t('admin.key')} /></Form.Item>
        <Form.Item name="label" rules={[{ required: true }]}><Input placeholder={t('admin.label')} aria-label={t('admin.label')} /></Form.Item>
        <Form.Item name="type"><Select style={{ width: 140 }} aria-label={t('admin.type')} options={FIELD_TYPES.map((x) => ({ value: x, label: label('field_type', x) }))} /></Form.Item>
        {(type === 'single_choice' || type === 'multi_choice') && <Form.Item name="options"><Select mode="tags" style={{ minWidth: 200 }} placeholder={t('admin.options')} aria-label={t('admin.options')} /></Form.Item>}
        <Form.Item name="required" valuePropName="checked"><Switch aria-label={t('admin.required')} checkedChildren={t('admin.required')} unCheckedChildren={t('admin.required')} /></Form.Item>
        <Button type="primary" htmlType="submit" loading={create.isPending}>{t('admin.newField')}</Button>
      </Form>
      <QueryState query={fields} empty={(d) => d.length === 0}>
        {(d) => (
          <Table rowKey="id" size="small" pagination={false} dataSource={d} scroll={{ x: 'max-content' }} columns={[
            { title: t('admin.key'), dataIndex: 'key' },
            { title: t('admin.label'), dataIndex: 'label' },
            { title: t('admin.type'), dataIndex: 'type', render: (v: string) => label('field_type', v) },
            { title: t('admin.options'), dataIndex: 'options', render: (o: string[]) => o.join(', ') },
            { title: t('admin.required'), dataIndex: 'required', render: (v, f) => <Switch size="small" checked={v} aria-label={t('admin.required')} onChange={(required) => patch.mutate({ f, body: { required } })} /> },
            { title: t('admin.active'), dataIndex: 'active', render: (v, f) => <Switch size="small" checked={v} aria-label={t('admin.active')} onChange={(active) => patch.mutate({ f, body: { active } })} /> },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}
