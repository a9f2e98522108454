import { fireEvent, screen, within } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTokens } from '../api/auth';
import i18n from '../i18n';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';
import CustomersPage from './CustomersPage';

const customer = {
  id: 'c1', number: 'C202611000001', name: '上海明远精密机械', kind: 'company', industry: 'manufacturing', region: 'east', size: null, source: null,
  grade: 'intent', tier: 'key', annual_purchase: '1800000.00', currency: 'CNY', owner_id: 'u1', owner_department_id: null, first_contact_date: null,
  last_followup_at: null, next_followup_at: new Date(Date.now() + 3 * 86400_000).toISOString(), next_followup_plan: null, key_needs: null,
  tags: [], custom: {}, id_card_number: null, contacts: [], version: 1, created_at: null, updated_at: null,
};

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

function serve(extra: Record<string, (req: Request) => Response | Promise<Response>> = {}) {
  setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
  return mockFetch({
    'GET /api/v1/me': () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'sales_rep', scopes: ['customers:read', 'customers:write'] }),
    'GET /api/v1/customers': () => jsonResponse(200, { items: [customer], next_cursor: null }),
    'GET /api/v1/users': () => jsonResponse(200, { items: [], next_cursor: null }),
    'GET /api/v1/segments': () => jsonResponse(200, { items: [], next_cursor: null }),
    'GET /api/v1/tags': () => jsonResponse(200, []),
    'GET /api/v1/picklists/industry': () => jsonResponse(200, { name: 'industry', values: ['manufacturing'], items: [{ value: 'manufacturing', label: '制造业', labels: { 'zh-CN': '制造业', en: 'Manufacturing' } }] }),
    'GET /api/v1/picklists/region': () => jsonResponse(200, { name: 'region', values: ['east'], items: [{ value: 'east', label: '华东', labels: { 'zh-CN': '华东', en: 'East China' } }] }),
    ...extra,
  });
}

beforeEach(async () => { await i18n.changeLanguage('zh-CN'); });
afterEach(() => { window.matchMedia = realMatchMedia; });

describe('CustomersPage', () => {
  it('is a card per customer on a 375 px phone with labels, money and a relative follow-up', async () => {
    viewport(375);
    serve();
    renderWithProviders(<AntApp><CustomersPage /></AntApp>);
    const card = await screen.findByTestId('customer-card');
    expect(screen.queryByTestId('record-table')).toBeNull();
    expect(within(card).getByText('上海明远精密机械')).toBeInTheDocument();
    expect(within(card).getByText('意向客户')).toBeInTheDocument();
    expect(within(card).getByText('重点客户')).toBeInTheDocument();
    expect(card).toHaveTextContent('¥1,800,000.00');
    expect(card).toHaveTextContent('下次跟进：3 天内');
    expect(card).toHaveTextContent('李销售');
    expect(card.textContent).not.toMatch(/intent|key\b/);
    // The filters wait behind the 筛选 button, each with a name a screen reader can say.
    expect(screen.getByTestId('toggle-filters')).toHaveAttribute('aria-expanded', 'false');
    fireEvent.click(screen.getByTestId('toggle-filters'));
    expect(screen.getByTestId('toggle-filters')).toHaveAttribute('aria-expanded', 'true');
    for (const name of ['行业', '地区', '客户等级', '价值层级', '负责人', '标签']) {
      expect(screen.getByRole('combobox', { name })).toBeInTheDocument();
    }
    // Saved segments are the shared saved-views menu, with the sorts offered as a select (no headers on a phone).
    expect(screen.getByRole('button', { name: /常用视图/ })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: '排序' })).toBeInTheDocument();
  });

  it('shows a server field error once, under its input, in the new-customer form', async () => {
    viewport(1366);
    serve({
      'POST /api/v1/customers': () => jsonResponse(422, {
        type: '/problems/validation', title: 'Unprocessable Content', status: 422, detail: '1 field is invalid',
        errors: [{ field: 'contacts.0.mobile', message: '手机号码格式不正确' }],
      }),
    });
    renderWithProviders(<AntApp><CustomersPage /></AntApp>);
    fireEvent.click(await screen.findByTestId('new-customer'));
    // Inside the dialog: the sortable 名称 column header behind it carries the same name.
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(await within(dialog).findByLabelText('名称'), { target: { value: '苏州精工' } });
    fireEvent.change(within(dialog).getByLabelText('联系人'), { target: { value: '王小明' } });
    fireEvent.change(within(dialog).getByLabelText('手机'), { target: { value: '12345' } });
    fireEvent.click(screen.getByRole('button', { name: /^新\s*建$/ }));
    expect(await screen.findByText('手机号码格式不正确')).toBeInTheDocument();
    expect(screen.getAllByText(/手机号码格式不正确/)).toHaveLength(1);
    expect(document.querySelector('.ant-alert')).toBeNull(); // not repeated above the form
  });

  it('tags the picked customers one by one and names the one the server refused', async () => {
    viewport(1366);
    const other = { ...customer, id: 'c2', number: 'C202611000002', name: '华东物流', version: 4 };
    const patched: { id: string; ifMatch: string | null; tags: string[] }[] = [];
    serve({
      'GET /api/v1/customers': () => jsonResponse(200, { items: [customer, other], next_cursor: null, total: 2, total_is_lower_bound: false }),
      'GET /api/v1/tags': () => jsonResponse(200, [{ name: '重点跟进', count: 3 }]),
      'PATCH /api/v1/customers/c1': async (req) => {
        patched.push({ id: 'c1', ifMatch: req.headers.get('If-Match'), tags: (await req.json()).tags });
        return jsonResponse(200, { ...customer, tags: ['重点跟进'], version: 2 });
      },
      'PATCH /api/v1/customers/c2': async (req) => {
        patched.push({ id: 'c2', ifMatch: req.headers.get('If-Match'), tags: (await req.json()).tags });
        return jsonResponse(412, { title: 'Precondition Failed', status: 412, detail: '该客户已被他人修改，请刷新后重试' });
      },
    });
    renderWithProviders(<AntApp><CustomersPage /></AntApp>);
    expect(await screen.findByTestId('record-total')).toHaveTextContent('共 2 条');
    for (const name of ['上海明远精密机械', '华东物流']) {
      const row = (await screen.findAllByRole('row')).find((r) => within(r).queryByText(name))!;
      fireEvent.click(within(row).getByRole('checkbox'));
    }
    fireEvent.click(await screen.findByTestId('bulk-tag'));
    const dialog = await screen.findByRole('dialog');
    fireEvent.mouseDown(within(dialog).getByRole('combobox'));
    fireEvent.click(await screen.findByTitle('重点跟进'));
    fireEvent.click(within(dialog).getByRole('button', { name: /提\s*交/ }));
    const report = await screen.findByTestId('bulk-report');
    expect(patched).toEqual([{ id: 'c1', ifMatch: '"1"', tags: ['重点跟进'] }, { id: 'c2', ifMatch: '"4"', tags: ['重点跟进'] }]);
    expect(report).toHaveTextContent('已完成 1 条，1 条未能修改');
    expect(report).toHaveTextContent('华东物流: 该客户已被他人修改，请刷新后重试');
  });
});
