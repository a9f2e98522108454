import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../i18n';
import { RecordList } from './RecordList';

interface Row { id: string; name: string; status: string }
const rows: Row[] = [{ id: 'a', name: '明远精密', status: 'open' }, { id: 'b', name: '华东物流', status: 'won' }];
const columns = [{ title: 'Name', dataIndex: 'name' }, { title: 'Status', dataIndex: 'status' }];

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

beforeEach(async () => { await i18n.changeLanguage('zh-CN'); });
afterEach(() => { window.matchMedia = realMatchMedia; });

describe('RecordList', () => {
  it('is a table on a 1366 px screen, with the total and clickable rows', async () => {
    viewport(1366);
    const open = vi.fn();
    render(<RecordList<Row> columns={columns} dataSource={rows} rowKey="id" total={1234}
      card={(r) => <b>{r.name}</b>} onRowClick={open} />);
    const table = await screen.findByTestId('record-table');
    expect(screen.queryByTestId('record-cards')).toBeNull();
    expect(within(table).getByRole('columnheader', { name: 'Status' })).toBeInTheDocument();
    expect(screen.getByTestId('record-total')).toHaveTextContent('共 1,234 条');
    fireEvent.click(within(table).getByText('华东物流'));
    expect(open).toHaveBeenCalledWith(rows[1]);
  });

  it('is a list of tappable cards on a 375 px phone', async () => {
    viewport(375);
    const open = vi.fn();
    render(<RecordList<Row> columns={columns} dataSource={rows} rowKey="id" total={10000} totalIsLowerBound
      card={(r) => <span>{r.name} · {r.status}</span>} onRowClick={open} />);
    const cards = await screen.findByTestId('record-cards');
    expect(screen.queryByTestId('record-table')).toBeNull();
    expect(screen.queryByRole('columnheader')).toBeNull();
    expect(screen.getByTestId('record-total')).toHaveTextContent('共 10,000+ 条');
    const buttons = within(cards).getAllByRole('button');
    expect(buttons).toHaveLength(2);
    expect(buttons[0]).toHaveTextContent('明远精密 · open');
    fireEvent.click(buttons[0]);
    fireEvent.keyDown(buttons[1], { key: 'Enter' });
    expect(open.mock.calls.map((c) => c[0].id)).toEqual(['a', 'b']);
  });

  it('says the total in English and hides it when the count is unknown', async () => {
    viewport(375);
    await i18n.changeLanguage('en');
    const { rerender } = render(<RecordList<Row> columns={columns} dataSource={rows} rowKey="id" total={1} card={(r) => r.name} />);
    expect(await screen.findByTestId('record-total')).toHaveTextContent('1 record');
    rerender(<RecordList<Row> columns={columns} dataSource={rows} rowKey="id" total={10000} totalIsLowerBound card={(r) => r.name} />);
    expect(screen.getByTestId('record-total')).toHaveTextContent('10,000+ records');
    rerender(<RecordList<Row> columns={columns} dataSource={rows} rowKey="id" total={null} card={(r) => r.name} />);
    expect(screen.queryByTestId('record-total')).toBeNull();
    expect(screen.queryAllByRole('button')).toHaveLength(0); // no onRowClick: cards are not buttons
  });
});
