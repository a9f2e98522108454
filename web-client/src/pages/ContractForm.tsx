/**
 * The fields of a contract draft (title, line items, dates, payment terms) shared by the
 * new-contract and edit-draft dialogs, with the server's rules mirrored so that most mistakes
 * are caught before a request, and the server's own field errors placed at their field.
 */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Col, DatePicker, Form, Input, InputNumber, Row, Typography } from 'antd';
import type { FormInstance, FormRule } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { ApiError, type Schemas } from '../api/client';
import { formatMoney } from '../i18n/format';
import { lineTotal } from './contractBits';

export interface LineValues { product?: string; quantity?: string | number | null; unit_price?: string | number | null; discount?: string | number | null }
export interface DraftValues { title?: string; lines?: LineValues[]; start_date?: Dayjs | null; end_date?: Dayjs | null; payment_terms?: string | null }

/** The same limits as the API (api/v1/schemas/contracts.py, domain/contracts/lines.py). */
export const LIMITS = { title: 200, product: 200, lines: 200, terms: 2000, reason: 1000, quantity: 1e9 } as const;

const places = (value: unknown): number => {
  const text = String(value ?? '');
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
};
const blank = (value: unknown) => value === undefined || value === null || String(value).trim() === '';

/** Each rule says what is wrong in words; antd's default would name the field path ("0,product"). */
export function lineRules(t: TFunction) {
  const number = (check: (n: number, raw: unknown) => string | null): FormRule => ({
    validator: (_, raw) => {
      if (blank(raw)) return Promise.resolve();
      const problem = check(Number(raw), raw);
      return problem ? Promise.reject(new Error(problem)) : Promise.resolve();
    },
  });
  return {
    product: [
      { validator: (_: unknown, v: unknown) => (blank(v) ? Promise.reject(new Error(t('contracts2.productRequired'))) : Promise.resolve()) },
      { max: LIMITS.product, message: t('contracts2.productTooLong', { max: LIMITS.product }) },
    ] as FormRule[],
    quantity: [
      { required: true, message: t('contracts2.quantityRequired') },
      number((n, raw) => (!(n > 0 && n <= LIMITS.quantity) ? t('contracts2.quantityRange') : places(raw) > 3 ? t('contracts2.quantityPlaces') : null)),
    ] as FormRule[],
    unit_price: [
      { required: true, message: t('contracts2.unitPriceRequired') },
      number((n, raw) => (!(n >= 0 && n < 1e16) ? t('contracts2.unitPriceRange') : places(raw) > 2 ? t('contracts2.unitPricePlaces') : null)),
    ] as FormRule[],
    discount: [
      number((n, raw) => (!(n >= 0 && n <= 100) ? t('contracts2.discountRange') : places(raw) > 2 ? t('contracts2.discountPlaces') : null)),
    ] as FormRule[],
  };
}

/** What the API takes for a draft's fields, from the form's values. */
export function draftBody(v: DraftValues): Pick<Schemas['ContractCreate'], 'title' | 'lines' | 'start_date' | 'end_date' | 'payment_terms'> {
  return {
    title: (v.title ?? '').trim(),
    lines: (v.lines ?? []).map((l) => ({
      product: (l.product ?? '').trim(), quantity: String(l.quantity), unit_price: String(l.unit_price),
      discount: blank(l.discount) ? '0' : String(l.discount),
    })),
    start_date: v.start_date ? v.start_date.format('YYYY-MM-DD') : null,
    end_date: v.end_date ? v.end_date.format('YYYY-MM-DD') : null,
    payment_terms: v.payment_terms?.trim() || null,
  };
}

/** The form's values of a saved contract. */
export function draftValues(c: Schemas['ContractOut']): DraftValues {
  return {
    title: c.title, payment_terms: c.payment_terms ?? undefined,
    start_date: c.start_date ? dayjs(c.start_date) : null, end_date: c.end_date ? dayjs(c.end_date) : null,
    lines: c.lines.map((l) => ({ product: l.product, quantity: l.quantity, unit_price: l.unit_price, discount: l.discount })),
  };
}

/** "lines.0.quantity" → ['lines', 0, 'quantity']: the form's name of a server field. */
export function fieldPath(field: string): (string | number)[] {
  return field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/**
 * Puts each of the server's field errors at its field, once. Answers whether every error found
 * a field in the form (then the error needs no banner as well).
 */
export function placeServerErrors(form: FormInstance, error: unknown, known: readonly string[]): boolean {
  if (!(error instanceof ApiError)) return false;
  const errors = error.problem.errors ?? [];
  const placed = errors.filter((e) => known.includes(String(fieldPath(e.field)[0])));
  form.setFields(placed.map((e) => ({ name: fieldPath(e.field), errors: [e.message] })));
  return errors.length > 0 && placed.length === errors.length;
}

export const DRAFT_FIELDS = ['title', 'lines', 'start_date', 'end_date', 'payment_terms'] as const;

/** Title, line items with their running total, dates and payment terms. `required` lists the
 * fields submitting needs that this form must therefore ask for. */
export function DraftFields({ form, currency = 'CNY', required = [] }: { form: FormInstance; currency?: string; required?: readonly string[] }) {
  const { t } = useTranslation();
  const rules = lineRules(t);
  const lines = (Form.useWatch('lines', form) ?? []) as LineValues[];
  const total = lines.reduce((sum, l) => sum + (l && !blank(l.quantity) && !blank(l.unit_price)
    ? lineTotal(Number(l.quantity), Number(l.unit_price), Number(l.discount ?? 0)) : 0), 0);
  const needed = (field: string) => required.includes(field);
  return (
    <>
      <Form.Item name="title" label={t('contracts2.contractTitle')} required
        rules={[{ validator: (_, v) => (blank(v) ? Promise.reject(new Error(t('contracts2.titleRequired'))) : Promise.resolve()) },
          { max: LIMITS.title, message: t('contracts2.titleTooLong', { max: LIMITS.title }) }]}>
        <Input maxLength={LIMITS.title} data-testid="contract-title" />
      </Form.Item>
      <Typography.Text strong>{t('contracts.lines')}</Typography.Text>
      <Form.List name="lines" rules={[{ validator: (_, v) => (!v || v.length === 0 ? Promise.reject(new Error(t('contracts2.linesRequired'))) : v.length > LIMITS.lines ? Promise.reject(new Error(t('contracts2.linesTooMany', { max: LIMITS.lines }))) : Promise.resolve()) }]}>
        {(fields, { add, remove }, { errors }) => (
          <div style={{ marginTop: 8 }}>
            {fields.map((f, index) => (
              <Card key={f.key} size="small" style={{ marginBottom: 8 }} data-testid={`line-${index}`}
                title={t('contracts2.lineNumber', { n: index + 1 })}
                extra={fields.length > 1 && <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('contracts2.removeLine', { n: index + 1 })} onClick={() => remove(f.name)} />}>
                <Row gutter={8}>
                  <Col xs={24} md={9}>
                    <Form.Item name={[f.name, 'product']} label={t('contracts.product')} required rules={rules.product}><Input maxLength={LIMITS.product} /></Form.Item>
                  </Col>
                  <Col xs={12} md={5}>
                    <Form.Item name={[f.name, 'quantity']} label={t('contracts.quantity')} rules={rules.quantity}><InputNumber stringMode min="0" style={{ width: '100%' }} /></Form.Item>
                  </Col>
                  <Col xs={12} md={5}>
                    <Form.Item name={[f.name, 'unit_price']} label={t('contracts.unitPrice')} rules={rules.unit_price}><InputNumber stringMode min="0" style={{ width: '100%' }} /></Form.Item>
                  </Col>
                  <Col xs={12} md={5}>
                    <Form.Item name={[f.name, 'discount']} label={t('contracts2.discountPercent')} rules={rules.discount}><InputNumber stringMode min="0" max="100" style={{ width: '100%' }} /></Form.Item>
                  </Col>
                </Row>
              </Card>
            ))}
            <Form.ErrorList errors={errors} />
            <Button block onClick={() => add({ quantity: '1', discount: '0' })} icon={<PlusOutlined />} disabled={fields.length >= LIMITS.lines}>{t('contracts2.addLine')}</Button>
          </div>
        )}
      </Form.List>
      <div style={{ textAlign: 'right', margin: '8px 0 12px' }}>
        <Typography.Text strong data-testid="draft-total">{t('common.total')}: {formatMoney(total.toFixed(2), currency)}</Typography.Text>
      </div>
      <Row gutter={8}>
        <Col xs={24} sm={12}>
          <Form.Item name="start_date" label={t('contracts.start')} rules={needed('start_date') ? [{ required: true, message: t('contracts2.requiredToSubmit', { field: t('contracts.start') }) }] : []}>
            <DatePicker style={{ width: '100%' }} data-testid="contract-start" />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="end_date" label={t('contracts.end')} dependencies={['start_date']}
            rules={[...(needed('end_date') ? [{ required: true, message: t('contracts2.requiredToSubmit', { field: t('contracts.end') }) }] : []),
              ({ getFieldValue }) => ({ validator: (_, v: Dayjs | null) => {
                const start = getFieldValue('start_date') as Dayjs | null;
                return v && start && v.isBefore(start, 'day') ? Promise.reject(new Error(t('contracts2.endBeforeStart'))) : Promise.resolve();
              } })]}>
            <DatePicker style={{ width: '100%' }} data-testid="contract-end" />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name="payment_terms" label={t('contracts.paymentTerms')} rules={[{ max: LIMITS.terms, message: t('contracts2.termsTooLong', { max: LIMITS.terms }) }]}>
        <Input.TextArea rows={2} maxLength={LIMITS.terms} />
      </Form.Item>
    </>
  );
}
