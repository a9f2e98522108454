import { fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App as AntApp } from 'antd';
import { describe, expect, it } from 'vitest';
import { setTokens } from '../api/auth';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';
import LeadsPage from './LeadsPage';

const lead = { id: 'l1', number: 'L1', status: 'new', name: '王小明', company: '苏州精工自动化设备有限公司', grade: 'high', score: 80, score_breakdown: [],
  source: 'trade_show', owner_id: 'u1', created_at: '2026-12-01T08:00:00Z', flags: [], version: 1 };

describe('LeadsPage', () => {
  it('shows sources as labels and refuses an empty new lead before sending it', async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    const calls = mockFetch({
      'GET /api/v1/me': () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'sales_rep', scopes: ['leads:read', 'leads:write'] }),
      'GET /api/v1/leads': () => jsonResponse(200, { items: [lead], next_cursor: null }),
      'GET /api/v1/users': () => jsonResponse(200, { items: [], next_cursor: null }),
    });
    renderWithProviders(<AntApp><LeadsPage /></AntApp>);
    expect((await screen.findAllByText(/展会/)).length).toBeGreaterThan(0);
    expect(screen.queryByText(/trade_show/)).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: /新建线索/ }));
    fireEvent.click(await screen.findByRole('button', { name: /确\s*定|OK/ }));
    expect(await screen.findByText('请至少填写姓名、公司、电话或邮箱中的一项')).toBeInTheDocument();
    expect(calls.some((r) => r.method === 'POST')).toBe(false);
  });
});
