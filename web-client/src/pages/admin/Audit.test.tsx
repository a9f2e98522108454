import { screen, within } from '@testing-library/react';
import { App } from 'antd';
import { describe, expect, it } from 'vitest';
import i18n from '../../i18n';
import { jsonResponse, mockFetch, renderWithProviders } from '../../test-utils';
import { Audit } from './Audit';

const ME = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', name: '系统管理员', role: 'admin', scopes: ['users:read', 'audit:read'] };
const REP = { id: '00000000-0000-4000-8000-000000000002', name: '李娜', role: 'sales_rep' };

// jsdom's matchMedia matches nothing, so this is the phone layout: one card per entry.
describe('the audit log', () => {
  it('reads as labelled actions and field: before → after, with owners as names', async () => {
    await i18n.changeLanguage('zh-CN');
    const calls = mockFetch({
      'GET /api/v1/me': () => jsonResponse(200, ME),
      'GET /api/v1/users/directory': () => jsonResponse(200, { items: [REP], next_cursor: null }),
      'GET /api/v1/audit-log': () => jsonResponse(200, { next_cursor: null, items: [{
        id: 7, at: '2026-12-08T06:30:00Z', actor_type: 'user', actor_id: ME.id, actor_label: 'admin@demo.crm', ip: '10.0.0.1',
        request_id: null, action: 'customer.reassigned', target_type: 'customer', target_id: 'c1',
        diff: { owner_id: [ME.id, REP.id], grade: ['potential', 'intent'] },
      }] }),
    });
    renderWithProviders(<App><Audit /></App>);
    const table = await screen.findByTestId('audit-log');
    expect(await within(table).findByText('客户 · 转移负责人')).toBeInTheDocument();
    expect(await within(table).findByText('李娜')).toBeInTheDocument(); // the new owner, not a UUID
    expect(within(table).getByText('潜在客户')).toBeInTheDocument();
    expect(within(table).getByText('负责人:', { exact: false })).toBeInTheDocument();
    expect(table.textContent).not.toContain('{');
    expect(table.textContent).not.toContain('00000000');
    expect(calls.some((c) => c.url.includes('/api/v1/audit-log'))).toBe(true);
  });
});
