import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App as AntApp } from 'antd';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTokens } from '../api/auth';
import i18n from '../i18n';
import ContractsPage from '../pages/ContractsPage';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

const realMatchMedia = window.matchMedia;

/** Pretends the window is `width` px wide for Ant Design's breakpoint queries. */
function viewport(width: number) {
  window.matchMedia = ((query: string) => {
    const min = /min-width:\s*(\d+)px/.exec(query);
    const max = /max-width:\s*(\d+(?:\.\d+)?)px/.exec(query);
    const matches = (!min || width >= Number(min[1])) && (!max || width <= Number(max[1]));
    return {
      matches, media: query, onchange: null, addListener: () => {}, removeListener: () => {},
      addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false,
    };
  }) as unknown as typeof window.matchMedia;
}

const contract = (id: string, number: string, status: string, amount: string) => ({
  id, number, title: `合同 ${number}`, customer_id: 'c1', customer_name: '明远精密', amount, currency: 'CNY', status,
  start_date: null, end_date: null, signed_at: null, owner_id: 'u1', version: 1, created_at: '2026-12-01T08:00:00Z',
});

function serve(extra: Record<string, (req: Request) => Response | Promise<Response>> = {}) {
  return mockFetch({
    'GET /api/v1/me': () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'manager', scopes: ['contracts:read', 'contracts:write'] }),
    'GET /api/v1/users/directory': () => jsonResponse(200, { items: [], next_cursor: null }),
    'GET /api/v1/segments': () => jsonResponse(200, { items: [], next_cursor: null }),
    'GET /api/v1/me/list-settings/contract': () => jsonResponse(200, { object: 'contract', columns: [], sort: null, version: 0, updated_at: null }),
    'GET /api/v1/contracts': () => jsonResponse(200, {
      items: [contract('k1', 'HT-1', 'draft', '1000.00'), contract('k2', 'HT-2', 'in_approval', '90000.00')],
      next_cursor: null, total: 2, total_is_lower_bound: false,
    }),
    ...extra,
  });
}

beforeEach(async () => {
  viewport(1366);
  await i18n.changeLanguage('zh-CN');
  setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
});
afterEach(() => { window.matchMedia = realMatchMedia; });

describe('list tools on the contracts list', () => {
  it('asks the server for the total, and sorts by amount on the server when the header is clicked', async () => {
    const calls = serve();
    renderWithProviders(<AntApp><ContractsPage /></AntApp>);
    expect(await screen.findByTestId('record-total')).toHaveTextContent('共 2 条');
    const first = calls.find((r) => r.method === 'GET' && new URL(r.url).pathname === '/api/v1/contracts')!;
    expect(new URL(first.url).searchParams.get('with_total')).toBe('true');
    // Only the sorts the server offers get a sortable header.
    expect(screen.getByRole('columnheader', { name: /状态/ })).not.toHaveAttribute('aria-sort');
    fireEvent.click(within(screen.getByRole('columnheader', { name: /金额/ })).getByText(/金额/));
    await waitFor(() => expect(calls.some((r) => r.method === 'GET' && new URL(r.url).searchParams.get('sort') === '-amount')).toBe(true));
  });

  it('saves the column choice for the user with If-Match "0" before the first save', async () => {
    const puts: { ifMatch: string | null; body: { columns: string[] } }[] = [];
    serve({
      'PUT /api/v1/me/list-settings/contract': async (req) => {
        const body = await req.json();
        puts.push({ ifMatch: req.headers.get('If-Match'), body });
        return jsonResponse(200, { object: 'contract', columns: body.columns, sort: null, version: 1, updated_at: '2026-12-08T03:00:00Z' }, { ETag: '"1"' });
      },
    });
    renderWithProviders(<AntApp><ContractsPage /></AntApp>);
    await screen.findByTestId('record-total');
    await userEvent.click(screen.getByTestId('columns-button'));
    const chooser = await screen.findByTestId('column-chooser');
    await userEvent.click(within(chooser).getByRole('checkbox', { name: '负责人' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0].ifMatch).toBe('"0"');
    expect(puts[0].body.columns).toEqual(['number', 'title', 'customer_name', 'amount', 'status', 'start_date', 'end_date']);
    await waitFor(() => expect(screen.queryByRole('columnheader', { name: /负责人/ })).toBeNull());
  });

  it('reports a contract the bulk delete refused, by its number and the server\'s reason', async () => {
    let sent: unknown;
    serve({
      'POST /api/v1/contracts/bulk-delete': async (req) => {
        sent = await req.json();
        return jsonResponse(200, { succeeded: 1, failed: 1, items: [
          { id: 'k1', ok: true, status: 204 },
          { id: 'k2', ok: false, status: 409, error: '只有草稿合同可以删除', field: null },
        ] });
      },
    });
    renderWithProviders(<AntApp><ContractsPage /></AntApp>);
    await screen.findByTestId('record-total');
    const rows = screen.getAllByRole('row');
    for (const number of ['HT-1', 'HT-2']) {
      const row = rows.find((r) => within(r).queryByText(number))!;
      await userEvent.click(within(row).getByRole('checkbox'));
    }
    expect(await screen.findByTestId('bulk-bar')).toHaveTextContent('已选 2 条');
    await userEvent.click(screen.getByTestId('bulk-delete'));
    fireEvent.click(await screen.findByRole('button', { name: /确\s*定|OK/ }));
    const report = await screen.findByTestId('bulk-report');
    expect(sent).toEqual({ ids: ['k1', 'k2'] });
    expect(report).toHaveTextContent('已完成 1 条，1 条未能修改');
    expect(report).toHaveTextContent('HT-2 合同 HT-2: 只有草稿合同可以删除');
  });

  it('lets a phone pick cards for a bulk action and sort without table headers', async () => {
    viewport(375);
    const calls = serve();
    renderWithProviders(<AntApp><ContractsPage /></AntApp>);
    const cards = await screen.findByTestId('record-cards');
    expect(screen.queryByTestId('columns-button')).toBeNull();
    await userEvent.click((await within(cards).findAllByRole('checkbox', { name: '选择' }))[0]);
    expect(await screen.findByTestId('bulk-bar')).toHaveTextContent('已选 1 条');
    expect(screen.getByTestId('bulk-delete')).toBeInTheDocument();
    expect(screen.getByTestId('sort-select')).toBeInTheDocument();
    expect(calls.some((r) => new URL(r.url).searchParams.has('sort'))).toBe(false);
  });
});
