import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { GlobalSearch, hitPath } from './GlobalSearch';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

const MINGYUAN = '上海明远精密机械有限公司';
const results = {
  query: 'mingyuan',
  groups: [
    { type: 'customer', items: [
      { id: 'c1', type: 'customer', title: MINGYUAN, subtitle: 'C202612000001 · 王经理', customer_id: 'c1', matched: 'text' },
      { id: 'c2', type: 'customer', title: '明远贸易有限公司', subtitle: 'C202612000002 · 王经理', customer_id: 'c2', matched: 'text' },
    ] },
    { type: 'contact', items: [] },
    { type: 'lead', items: [
      { id: 'l1', type: 'lead', title: '明远采购部', subtitle: 'L202612000001 · 王经理', customer_id: null, matched: 'text' },
    ] },
  ],
};

function Page() {
  return (
    <Routes>
      <Route path="/" element={<GlobalSearch />} />
      <Route path="/customers/:id" element={<div>customer page</div>} />
      <Route path="/leads" element={<div>leads page</div>} />
    </Routes>
  );
}

describe('GlobalSearch', () => {
  it('opens with Ctrl+K, groups the hits by kind and opens the one chosen with the keyboard', async () => {
    const calls = mockFetch({ 'GET /api/v1/search': () => jsonResponse(200, results) });
    renderWithProviders(<Page />);
    act(() => { fireEvent.keyDown(window, { key: 'k', ctrlKey: true }); });
    const input = await screen.findByTestId('search-input');
    expect(screen.getByText(/至少输入 2 个字/)).toBeInTheDocument();
    fireEvent.change(input, { target: { value: 'mingyuan' } });
    expect(await screen.findByText(MINGYUAN)).toBeInTheDocument();
    expect(new URL(calls[0].url).searchParams.get('q')).toBe('mingyuan');
    // localized group names; the empty contacts group is not shown
    expect(screen.getByRole('group', { name: '客户' })).toBeInTheDocument();
    expect(screen.getByRole('group', { name: '线索' })).toBeInTheDocument();
    expect(screen.queryByRole('group', { name: '联系人' })).not.toBeInTheDocument();
    const options = screen.getAllByRole('option');
    expect(options.map((o) => o.getAttribute('aria-selected'))).toEqual(['true', 'false', 'false']);
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    fireEvent.keyDown(input, { key: 'ArrowDown' }); // stays on the last
    expect(screen.getAllByRole('option')[2]).toHaveAttribute('aria-selected', 'true');
    fireEvent.keyDown(input, { key: 'ArrowUp' });
    expect(screen.getAllByRole('option')[1]).toHaveAttribute('aria-selected', 'true');
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(await screen.findByText('customer page')).toBeInTheDocument();
  });

  it('opens full width from the icon button on a phone, says so when nothing matches, and asks nothing for one character', async () => {
    const calls = mockFetch({ 'GET /api/v1/search': () => jsonResponse(200, { query: 'zzzz', groups: [{ type: 'customer', items: [] }] }) });
    renderWithProviders(<Page />);
    fireEvent.click(screen.getByRole('button', { name: '搜索' })); // jsdom is narrower than md: the phone's icon
    const input = await screen.findByTestId('search-input');
    fireEvent.change(input, { target: { value: '明' } });
    await new Promise((r) => setTimeout(r, 400));
    expect(calls).toHaveLength(0);
    fireEvent.change(input, { target: { value: 'zzzz' } });
    expect(await screen.findByText('没有与“zzzz”匹配的记录')).toBeInTheDocument();
  });

  it('opens each kind of record on its own page', () => {
    const hit = { subtitle: '', customer_id: 'c9', matched: 'text' };
    expect(hitPath({ ...hit, id: 'x1', type: 'contact', title: '张三' })).toBe('/customers/c9');
    expect(hitPath({ ...hit, id: 'l1', type: 'lead', title: '' })).toBe('/leads?open=l1');
    expect(hitPath({ ...hit, id: 'o1', type: 'opportunity', title: '' })).toBe('/pipeline?open=o1');
    expect(hitPath({ ...hit, id: 'k1', type: 'contract', title: '' })).toBe('/contracts/k1');
  });

  it('clicking a hit opens it too', async () => {
    mockFetch({ 'GET /api/v1/search': () => jsonResponse(200, results) });
    renderWithProviders(<Page />);
    act(() => { fireEvent.keyDown(window, { key: 'K', metaKey: true }); });
    fireEvent.change(await screen.findByTestId('search-input'), { target: { value: 'mingyuan' } });
    fireEvent.click(await screen.findByText('明远采购部'));
    await waitFor(() => expect(screen.getByText('leads page')).toBeInTheDocument());
  });
});
