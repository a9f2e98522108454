import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App as AntApp } from 'antd';
import { describe, expect, it } from 'vitest';
import { setTokens } from '../api/auth';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';
import { CustomerContacts } from './CustomerContacts';

const zhang = { id: 'k1', name: '张三', title: '采购经理', mobile: '138****5678', landline: null, email: 'z***@example.com', is_primary: true };
const customer = { id: 'c1', number: 'C1', name: '上海明远精密机械有限公司', contacts: [zhang], version: 3 } as never;
const me = (scopes: string[]) => () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'sales_rep', scopes });

describe('CustomerContacts', () => {
  it('edits a contact sending only what was changed, so masked numbers are kept', async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    const calls = mockFetch({
      'GET /api/v1/me': me(['customers:read', 'customers:write']),
      'PATCH /api/v1/customers/c1/contacts/k1': () => jsonResponse(200, { ...(customer as object), version: 4 }),
    });
    renderWithProviders(<AntApp><CustomerContacts customer={customer} /></AntApp>);
    await userEvent.click(await screen.findByRole('button', { name: '编辑联系人 张三' }));
    const form = await screen.findByTestId('contact-form');
    const title = within(form).getByLabelText('职务');
    await userEvent.clear(title);
    await userEvent.type(title, '采购总监');
    fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
    await waitFor(() => expect(calls.some((r) => r.method === 'PATCH')).toBe(true));
    const patch = calls.find((r) => r.method === 'PATCH')!;
    expect(patch.headers.get('If-Match')).toBe('"3"');
    expect(JSON.parse(await patch.text())).toEqual({ title: '采购总监' });
  });

  it('asks for a name before adding and shows a masked number without a call link', async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    const calls = mockFetch({ 'GET /api/v1/me': me(['customers:read', 'customers:write']) });
    renderWithProviders(<AntApp><CustomerContacts customer={customer} /></AntApp>);
    expect(within(await screen.findByTestId('contact-mobile')).queryByRole('link')).toBeNull();
    await userEvent.click(await screen.findByTestId('add-contact'));
    fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
    expect(await screen.findByText('必填')).toBeInTheDocument();
    expect(calls.some((r) => r.method === 'POST')).toBe(false);
  });

  it('lets a revealed number be called with one tap', async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    mockFetch({
      'GET /api/v1/me': me(['customers:read', 'pii:reveal']),
      'POST /api/v1/customers/c1/reveal': () => jsonResponse(200, { contacts: [{ ...zhang, mobile: '13812345678' }] }),
    });
    renderWithProviders(<AntApp><CustomerContacts customer={customer} /></AntApp>);
    await userEvent.click(await screen.findByTestId('reveal'));
    const call = await screen.findByRole('link', { name: '拨打 13812345678' });
    expect(call).toHaveAttribute('href', 'tel:13812345678');
  });
});
