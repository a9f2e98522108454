import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { DatePicker, Form, Input, InputNumber, Modal, Select, Space, Switch } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../api/client';
import { usePicklist } from '../api/hooks';
import { InlineError } from '../components/States';
import { useCustomerRules } from '../components/formRules';
import { placeServerError } from '../components/serverErrors';
import { useLabels } from '../i18n/labels';

type Customer = Schemas['CustomerOut'];
type Field = Schemas['CustomFieldOut'];
interface Values {
  name: string; grade: Schemas['Grade']; industry?: string | null; region?: string | null; annual_purchase?: string | null;
  next_followup_at?: Dayjs | null; next_followup_plan?: string | null; key_needs?: string | null; custom: Record<string, unknown>;
}

function fieldInput(f: Field) {
  switch (f.type) {
    case 'number': return <InputNumber style={{ width: '100%' }} />;
    case 'boolean': return <Switch />;
    case 'date': return <Input type="date" />;
    case 'single_choice': return <Select allowClear options={f.options.map((o) => ({ value: o, label: o }))} />;
    case 'multi_choice': return <Select mode="multiple" options={f.options.map((o) => ({ value: o, label: o }))} />;
    default: return <Input />;
  }
}

/** Edits the customer's own fields and its custom fields; a stale version answers 412. */
export function CustomerEdit({ customer, onClose }: { customer: Customer; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const label = useLabels();
  const rules = useCustomerRules();
  const [form] = Form.useForm<Values>();
  // What the server said that no input of this form can show (a 412, a field not on the form).
  const [formError, setFormError] = useState<unknown>(null);
  const industries = usePicklist('industry');
  const regions = usePicklist('region');
  const fields = useQuery({ queryKey: ['custom-fields'], queryFn: () => unwrap(api.GET('/api/v1/custom-fields')) });
  const defs = (fields.data ?? []).filter((f) => f.active && f.entity === 'customer');
  const save = useMutation({
    onMutate: () => setFormError(null),
    mutationFn: (v: Values) => unwrap(api.PATCH('/api/v1/customers/{customer_id}', {
      params: { path: { customer_id: customer.id }, header: { 'If-Match': etagOf(customer.version) } },
      body: {
        name: v.name, grade: v.grade, industry: v.industry ?? null, region: v.region ?? null, annual_purchase: v.annual_purchase ?? null,
        next_followup_at: v.next_followup_at ? v.next_followup_at.toISOString() : null, next_followup_plan: v.next_followup_plan || null,
        key_needs: v.key_needs || null,
        custom: Object.fromEntries(Object.entries(v.custom ?? {}).filter(([, x]) => x !== undefined && x !== null && x !== '')),
      },
    })),
    onSuccess: (c) => { qc.setQueryData(['customer', customer.id], c); void qc.invalidateQueries({ queryKey: ['customer', customer.id] }); void qc.invalidateQueries({ queryKey: ['customers'] }); onClose(); },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 412) void qc.invalidateQueries({ queryKey: ['customer', customer.id] });
      const onForm = new Set(['name', 'grade', 'industry', 'region', 'annual_purchase', 'next_followup_at', 'next_followup_plan', 'key_needs']);
      const customKeys = new Set(defs.map((f) => f.key));
      setFormError(placeServerError(form, e, (field) => {
        if (field.startsWith('custom.') && customKeys.has(field.slice(7))) return ['custom', field.slice(7)];
        return onForm.has(field) ? field : undefined;
      }));
    },
  });
  return (
    <Modal open width={640} title={`${t('common.edit')} ${customer.name}`} onCancel={onClose} onOk={() => form.submit()} confirmLoading={save.isPending}>
      <InlineError error={formError} />
      <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} initialValues={{
        name: customer.name, grade: customer.grade, industry: customer.industry, region: customer.region, annual_purchase: customer.annual_purchase,
        next_followup_at: customer.next_followup_at ? dayjs(customer.next_followup_at) : null, next_followup_plan: customer.next_followup_plan,
        key_needs: customer.key_needs, custom: customer.custom,
      }}>
        <Form.Item name="name" label={t('common.name')} rules={rules.customerName}><Input maxLength={200} /></Form.Item>
        <Space wrap>
          <Form.Item name="grade" label={t('customers.grade')}><Select style={{ width: 130 }} options={label.options('customer_status')} /></Form.Item>
          <Form.Item name="industry" label={t('customers.industry')}><Select allowClear style={{ width: 150 }} options={industries.options} /></Form.Item>
          <Form.Item name="region" label={t('customers.region')}><Select allowClear style={{ width: 120 }} options={regions.options} /></Form.Item>
          <Form.Item name="annual_purchase" label={t('customers.annualPurchase')} rules={rules.money}><InputNumber min={0} stringMode style={{ width: 160 }} /></Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="next_followup_at" label={t('customers.nextFollowup')}><DatePicker showTime /></Form.Item>
          <Form.Item name="next_followup_plan" label={t('customers.plan')} rules={rules.plan}><Input maxLength={500} style={{ width: 300, maxWidth: '100%' }} /></Form.Item>
        </Space>
        <Form.Item name="key_needs" label={t('customers.keyNeeds')} rules={rules.keyNeeds}><Input.TextArea rows={2} maxLength={2000} /></Form.Item>
        {defs.length > 0 && (
          <Space wrap>
            {defs.map((f) => (
              <Form.Item key={f.key} name={['custom', f.key]} label={f.label} rules={f.required ? [{ required: true }] : []} valuePropName={f.type === 'boolean' ? 'checked' : 'value'}>
                {fieldInput(f)}
              </Form.Item>
            ))}
          </Space>
        )}
      </Form>
    </Modal>
  );
}
