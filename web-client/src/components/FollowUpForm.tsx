import { EnvironmentOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, DatePicker, Form, Input, Select, Space, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Schemas } from '../api/client';
import { InlineError } from './States';
import { useFollowUpRules } from './formRules';
import { placeServerError } from './serverErrors';
import { useLabels } from '../i18n/labels';

type CheckIn = Schemas['CheckInIn'];

/** The browser's position, for a visit check-in. */
export function locate(): Promise<CheckIn> {
  return new Promise((ok, fail) => {
    if (!('geolocation' in navigator)) { fail(new Error('no geolocation in this browser')); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => ok({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) }),
      (e) => fail(new Error(e.message || `error ${e.code}`)),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
}

interface Values { method: Schemas['FollowUpMethod']; summary: string; feedback?: string; next_action?: string; next_followup_at?: Dayjs }

export function FollowUpForm({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const label = useLabels();
  const rules = useFollowUpRules();
  const [form] = Form.useForm<Values>();
  // What the server said that no input here can show; field errors go under their inputs.
  const [formError, setFormError] = useState<unknown>(null);
  const method = Form.useWatch('method', form);
  const [checkIn, setCheckIn] = useState<CheckIn | null>(null);
  const [geo, setGeo] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const save = useMutation({
    onMutate: () => setFormError(null),
    mutationFn: (v: Values) => unwrap(api.POST('/api/v1/customers/{customer_id}/followups', {
      params: { path: { customer_id: customerId } },
      body: {
        method: v.method, summary: v.summary, feedback: v.feedback || null, next_action: v.next_action || null,
        next_followup_at: v.next_followup_at ? v.next_followup_at.toISOString() : null,
        check_in: v.method === 'visit' ? checkIn : null,
      },
    })),
    onSuccess: () => {
      message.success(t('followup.saved'));
      form.resetFields();
      setCheckIn(null);
      void qc.invalidateQueries({ queryKey: ['customer', customerId] });
    },
    onError: (e) => {
      const onForm = new Set(['method', 'summary', 'feedback', 'next_action', 'next_followup_at']);
      setFormError(placeServerError(form, e, (field) => (onForm.has(field) ? field : undefined)));
    },
  });
  const doCheckIn = async () => {
    setGeo({ busy: true, error: null });
    try { setCheckIn(await locate()); setGeo({ busy: false, error: null }); } catch (e) { setGeo({ busy: false, error: (e as Error).message }); }
  };
  return (
    <Card size="small" title={t('followup.add')} data-testid="followup-form">
      <InlineError error={formError} />
      <Form form={form} layout="vertical" initialValues={{ method: 'phone' }} onFinish={(v) => save.mutate(v)}>
        <Form.Item name="method" label={t('followup.method')} rules={rules.method}>
          <Select options={label.options('followup_method', ['phone', 'email', 'visit', 'online_meeting'])} />
        </Form.Item>
        {method === 'visit' && (
          <Form.Item>
            <Space orientation="vertical" style={{ width: '100%' }}>
              {/* Tapped with a thumb on the customer's doorstep: at least 44 px high and full width. */}
              <Button block style={{ minHeight: 44 }} icon={<EnvironmentOutlined />} loading={geo.busy} onClick={doCheckIn} data-testid="check-in">{t('followup.checkIn')}</Button>
              {checkIn && <Typography.Text type="success" data-testid="checked-in">{t('followup.checkedIn', { lat: checkIn.latitude.toFixed(5), lon: checkIn.longitude.toFixed(5), acc: checkIn.accuracy_m ?? '?' })}</Typography.Text>}
              {geo.error && <Typography.Text type="danger">{t('followup.geoDenied', { msg: geo.error })}</Typography.Text>}
            </Space>
          </Form.Item>
        )}
        <Form.Item name="summary" label={t('followup.summary')} rules={rules.summary}><Input.TextArea rows={2} maxLength={5000} /></Form.Item>
        <Form.Item name="feedback" label={t('followup.feedback')} rules={rules.feedback}><Input.TextArea rows={2} maxLength={5000} /></Form.Item>
        <Form.Item name="next_action" label={t('followup.nextAction')} rules={rules.nextAction}><Input maxLength={500} /></Form.Item>
        <Form.Item name="next_followup_at" label={t('followup.nextDate')}><DatePicker showTime style={{ width: '100%' }} /></Form.Item>
        <Button type="primary" htmlType="submit" loading={save.isPending} block style={{ minHeight: 44 }}>{t('common.save')}</Button>
      </Form>
    </Card>
  );
}
