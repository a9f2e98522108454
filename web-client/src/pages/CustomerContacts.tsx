/**
 * The 360 view's contacts: add and edit one at a time (numbers never seen in clear are kept, not
 * sent back masked), call a revealed number with one tap, copy it with another.
 */
import { CopyOutlined, EditOutlined, EyeOutlined, PhoneOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Checkbox, Form, Input, Modal, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../api/client';
import { can, useMe } from '../app/session';
import { RecordList } from '../components/RecordList';
import { InlineError } from '../components/States';

type Customer = Schemas['CustomerOut'];
type Contact = Schemas['ContactOut'];
interface ContactForm { name: string; title?: string; mobile?: string; landline?: string; email?: string; is_primary?: boolean }
const FIELDS: (keyof ContactForm)[] = ['name', 'title', 'mobile', 'landline', 'email', 'is_primary'];

/** A number shown masked cannot be dialled; a revealed one can, and copied. */
function PhoneCell({ value, revealed }: { value: string | null | undefined; revealed: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  if (!value) return <>—</>;
  if (!revealed) return <span data-testid="contact-mobile">{value}</span>;
  return (
    <Space size={4} data-testid="contact-mobile">
      <a href={`tel:${value.replace(/[^\d+]/g, '')}`} aria-label={t('contacts.call', { number: value })}><PhoneOutlined /> {value}</a>
      <Button size="small" type="text" icon={<CopyOutlined />} aria-label={t('contacts.copy', { number: value })}
        onClick={() => { void navigator.clipboard?.writeText(value).then(() => message.success(t('contacts.copied'))); }} />
    </Space>
  );
}

export function CustomerContacts({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const me = useMe();
  const qc = useQueryClient();
  const [revealed, setRevealed] = useState<Schemas['CustomerRevealed'] | null>(null);
  const [editing, setEditing] = useState<Contact | 'new' | null>(null);
  const reveal = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/customers/{customer_id}/reveal', { params: { path: { customer_id: customer.id } } })),
    onSuccess: setRevealed,
  });
  const writable = can(me.data, 'customers:write');
  const contacts = revealed?.contacts ?? customer.contacts;
  const shown = revealed !== null;
  const saved = (next: Customer) => {
    qc.setQueryData(['customer', customer.id], next);
    setRevealed(null);
    setEditing(null);
    void qc.invalidateQueries({ queryKey: ['customer', customer.id] });
  };
  return (
    <Card size="small" title={t('customers.contacts')} extra={(
      <Space wrap>
        {writable && <Button size="small" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="add-contact">{t('contacts.add')}</Button>}
        {can(me.data, 'pii:reveal') && (shown ? <Tag color="orange">{t('customers.revealed')}</Tag>
          : <Button size="small" icon={<EyeOutlined />} loading={reveal.isPending} onClick={() => reveal.mutate()} data-testid="reveal">{t('customers.reveal')}</Button>)}
      </Space>
    )}>
      <InlineError error={reveal.error} />
      <RecordList<Contact> rowKey="id" size="small" pagination={false} dataSource={contacts} scroll={{ x: 'max-content' }} locale={{ emptyText: t('common.empty') }}
        columns={[
          { title: t('customers.contactName'), dataIndex: 'name', render: (v, r) => <>{v}{r.is_primary && <Tag style={{ marginLeft: 6 }}>{t('contacts.primary')}</Tag>}</> },
          { title: t('customers.title2'), dataIndex: 'title', render: (v) => v ?? '—' },
          { title: t('customers.mobile'), dataIndex: 'mobile', render: (v) => <PhoneCell value={v} revealed={shown} /> },
          { title: t('customers.landline'), dataIndex: 'landline', render: (v) => <PhoneCell value={v} revealed={shown} /> },
          { title: t('customers.email'), dataIndex: 'email', render: (v) => v ?? '—' },
          ...(writable ? [{ title: t('common.actions'), key: 'edit', render: (_: unknown, r: Contact) => (
            <Button size="small" type="text" icon={<EditOutlined />} aria-label={t('contacts.edit', { name: r.name })} onClick={() => setEditing(r)} />) }] : []),
        ]}
        card={(r) => (
          <div>
            <Space style={{ width: '100%', justifyContent: 'space-between' }}>
              <Typography.Text strong>{r.name}{r.title ? ` · ${r.title}` : ''}</Typography.Text>
              {writable && <Button size="small" icon={<EditOutlined />} aria-label={t('contacts.edit', { name: r.name })} onClick={() => setEditing(r)} />}
            </Space>
            {r.is_primary && <Tag>{t('contacts.primary')}</Tag>}
            <div><PhoneCell value={r.mobile} revealed={shown} /></div>
            {r.landline && <div><PhoneCell value={r.landline} revealed={shown} /></div>}
            {r.email && <div><a href={`mailto:${r.email}`}>{r.email}</a></div>}
          </div>
        )} />
      {editing && <ContactModal customer={customer} contact={editing === 'new' ? null : editing} onSaved={saved} onClose={() => setEditing(null)} />}
    </Card>
  );
}

function ContactModal({ customer, contact, onSaved, onClose }: { customer: Customer; contact: Contact | null; onSaved: (c: Customer) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<ContactForm>();
  const save = useMutation({
    mutationFn: (v: ContactForm) => {
      const header = { 'If-Match': etagOf(customer.version) };
      if (contact === null) {
        return unwrap(api.POST('/api/v1/customers/{customer_id}/contacts', {
          params: { path: { customer_id: customer.id }, header },
          body: { name: v.name, title: v.title || null, mobile: v.mobile || null, landline: v.landline || null, email: v.email || null, is_primary: !!v.is_primary } }));
      }
      // Only what was touched goes: a masked number left as it is stays as it was.
      const touched = Object.fromEntries(FIELDS.filter((f) => form.isFieldTouched(f)).map((f) => [f, v[f] === '' ? null : v[f]]));
      return unwrap(api.PATCH('/api/v1/customers/{customer_id}/contacts/{contact_id}', {
        params: { path: { customer_id: customer.id, contact_id: contact.id }, header }, body: touched }));
    },
    onSuccess: onSaved,
    onError: (e) => {
      if (!(e instanceof ApiError)) return;
      form.setFields(Object.entries(e.fieldErrors()).map(([name, m]) => ({ name: name.replace(/^contacts\.\d+\./, '') as keyof ContactForm, errors: [m] })));
    },
  });
  const placed = save.error instanceof ApiError && Object.keys(save.error.fieldErrors()).length > 0;
  return (
    <Modal open title={contact ? t('contacts.editTitle') : t('contacts.add')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={save.isPending} okText={t('common.save')}>
      {!placed && <InlineError error={save.error} />}
      <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} data-testid="contact-form"
        initialValues={contact ? { name: contact.name, title: contact.title ?? undefined, is_primary: contact.is_primary } : {}}>
        <Form.Item name="name" label={t('customers.contactName')} rules={[{ required: true, whitespace: true, message: t('forms.required') }, { max: 100, message: t('forms.max', { n: 100 }) }]}>
          <Input autoComplete="name" />
        </Form.Item>
        <Form.Item name="title" label={t('customers.title2')} rules={[{ max: 100, message: t('forms.max', { n: 100 }) }]}><Input /></Form.Item>
        <Form.Item name="mobile" label={t('customers.mobile')} extra={contact?.mobile ? t('contacts.keepNumber', { number: contact.mobile }) : undefined}
          rules={[{ pattern: /^[+\d][\d\s-]{6,}$/, message: t('contacts.badPhone') }]}>
          <Input type="tel" inputMode="tel" autoComplete="tel" />
        </Form.Item>
        <Form.Item name="landline" label={t('customers.landline')} extra={contact?.landline ? t('contacts.keepNumber', { number: contact.landline }) : undefined}
          rules={[{ pattern: /^[+\d][\d\s-]{6,}$/, message: t('contacts.badPhone') }]}>
          <Input type="tel" inputMode="tel" />
        </Form.Item>
        <Form.Item name="email" label={t('customers.email')} extra={contact?.email ? t('contacts.keepNumber', { number: contact.email }) : undefined}
          rules={[{ type: 'email', message: t('contacts.badEmail') }]}>
          <Input type="email" inputMode="email" autoComplete="email" />
        </Form.Item>
        <Form.Item name="is_primary" valuePropName="checked"><Checkbox>{t('contacts.makePrimary')}</Checkbox></Form.Item>
      </Form>
    </Modal>
  );
}
