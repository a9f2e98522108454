import { screen, fireEvent } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { api, unwrap } from './client';
import { useCursorList } from './hooks';
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
