import { screen, fireEvent } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { api, unwrap } from './client';
import { useCursorList, usePicklist, useUserNames } from './hooks';
import i18n from '../i18n';
import { setTokens } from './auth';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

function Tasks() {
  const list = useCursorList(['tasks-test'], (cursor) => unwrap(api.GET('/api/v1/tasks', { params: { query: { cursor, limit: 2 } } })));
  return (
    <div>
      {list.items.map((t) => <p key={t.id}>{t.title}</p>)}
      {list.hasNextPage && <button onClick={() => list.fetchNextPage()}>more</button>}
    </div>
  );
}

const task = (id: string, title: string) => ({ id, title, due_at: null, assignee_id: 'u', created_by: null, related_type: null, related_id: null, status: 'open', origin: 'manual', notes: null, completed_at: null, version: 1, created_at: null });

describe('useCursorList', () => {
  it('follows next_cursor page by page', async () => {
    const calls = mockFetch({
      'GET /api/v1/tasks': (req) => new URL(req.url).searchParams.get('cursor') === 'c2'
        ? jsonResponse(200, { items: [task('3', '第三')], next_cursor: null })
        : jsonResponse(200, { items: [task('1', '第一'), task('2', '第二')], next_cursor: 'c2' }),
    });
    renderWithProviders(<Tasks />);
    expect(await screen.findByText('第二')).toBeInTheDocument();
    fireEvent.click(screen.getByText('more'));
    expect(await screen.findByText('第三')).toBeInTheDocument();
    expect(screen.queryByText('more')).toBeNull();
    expect(new URL(calls[1].url).searchParams.get('cursor')).toBe('c2');
    expect(new URL(calls[0].url).searchParams.get('limit')).toBe('2');
  });
});

function Owners({ ids }: { ids: string[] }) {
  const { name } = useUserNames();
  return <ul>{ids.map((id) => <li key={id}>{name(id)}</li>)}</ul>;
}

const entry = (id: string, name: string, role: string) => ({ id, name, role, department_id: null, is_active: true });

describe('useUserNames', () => {
  it('shows a rep the names of other owners and approvers from every page of the directory', async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    const calls = mockFetch({
      'GET /api/v1/me': () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'sales_rep', scopes: ['customers:read'] }),
      'GET /api/v1/users/directory': (req) => new URL(req.url).searchParams.get('cursor') === 'p2'
        ? jsonResponse(200, { items: [entry('u3', '钱财务', 'finance')], next_cursor: null })
        : jsonResponse(200, { items: [entry('u1', '李销售', 'sales_rep'), entry('u2', '王经理', 'manager')], next_cursor: 'p2' }),
    });
    renderWithProviders(<Owners ids={['u1', 'u2', 'u3', '9f0c3a1e-unknown']} />);
    expect(await screen.findByText('钱财务')).toBeInTheDocument();
    expect(screen.getByText('王经理')).toBeInTheDocument();
    expect(screen.getByText('李销售')).toBeInTheDocument();
    expect(screen.getByText('9f0c3a1e')).toBeInTheDocument();
    expect(calls.some((r) => new URL(r.url).pathname === '/api/v1/users')).toBe(false);
  });
});

function Industry({ value }: { value: string }) {
  const industries = usePicklist('industry');
  return <p>{industries.isSuccess ? industries.label(value) : 'loading'}</p>;
}

describe('usePicklist', () => {
  it('names a stored value in the language chosen in the app, and an unknown one as it is', async () => {
    mockFetch({
      'GET /api/v1/picklists/industry': () => jsonResponse(200, {
        name: 'industry', values: ['manufacturing'],
        items: [{ value: 'manufacturing', label: '制造业', labels: { 'zh-CN': '制造业', en: 'Manufacturing' } }],
      }),
    });
    await i18n.changeLanguage('zh-CN');
    const { unmount } = renderWithProviders(<><Industry value="manufacturing" /><Industry value="mining" /></>);
    expect(await screen.findByText('制造业')).toBeInTheDocument();
    expect(screen.getByText('mining')).toBeInTheDocument();
    unmount();
    await i18n.changeLanguage('en');
    renderWithProviders(<Industry value="manufacturing" />);
    expect(await screen.findByText('Manufacturing')).toBeInTheDocument();
    await i18n.changeLanguage('zh-CN');
  });
});
