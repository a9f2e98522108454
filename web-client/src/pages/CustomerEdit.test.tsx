import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CustomerEdit } from './CustomerEdit';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

const customer = {
  id: 'c1', number: 'C202611000001', name: '上海明远精密机械制造有限公司', kind: 'company', industry: null, region: null, size: null, source: null,
  grade: 'intent', tier: 'key', annual_purchase: null, currency: 'CNY', owner_id: 'u1', owner_department_id: null, first_contact_date: null,
  last_followup_at: null, next_followup_at: null, next_followup_plan: null, key_needs: null, tags: [], custom: { erp_code: 'E-1' },
  id_card_number: null, contacts: [], version: 3, created_at: null, updated_at: null,
} as const;

describe('CustomerEdit', () => {
  it('sends If-Match with the version it read, custom fields included, and shows a 412 as the API words it', async () => {
    const calls = mockFetch({
      'GET /api/v1/custom-fields': () => jsonResponse(200, [{ id: 'f1', entity: 'customer', key: 'erp_code', label: 'ERP 编码', type: 'text', options: [], required: false, active: true, version: 1 }]),
      'GET /api/v1/picklists/industry': () => jsonResponse(200, { name: 'industry', values: ['manufacturing'], items: [{ value: 'manufacturing', label: '制造业', labels: { 'zh-CN': '制造业', en: 'Manufacturing' } }] }),
      'GET /api/v1/picklists/region': () => jsonResponse(200, { name: 'region', values: ['east'], items: [{ value: 'east', label: '华东', labels: { 'zh-CN': '华东', en: 'East China' } }] }),
      'PATCH /api/v1/customers/c1': () => jsonResponse(412, { type: '/problems/precondition-failed', title: 'Precondition Failed', status: 412, detail: 'Someone else changed this customer (version 4); reload and try again' }),
    });
    renderWithProviders(<CustomerEdit customer={customer as never} onClose={() => {}} />);
    const erp = await screen.findByLabelText('ERP 编码');
    fireEvent.change(erp, { target: { value: 'E-2' } });
    fireEvent.click(screen.getByRole('button', { name: /OK|确\s*定/ }));
    expect(await screen.findByText(/Someone else changed this customer/)).toBeInTheDocument();
    const patch = calls.find((r) => r.method === 'PATCH')!;
    expect(patch.headers.get('If-Match')).toBe('"3"');
    const body = JSON.parse(await patch.text());
    expect(body.custom).toEqual({ erp_code: 'E-2' });
    expect(body.name).toBe('上海明远精密机械制造有限公司');
  });
});
