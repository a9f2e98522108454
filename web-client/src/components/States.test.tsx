import { useQuery } from '@tanstack/react-query';
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { QueryState } from './States';
import { renderWithProviders } from '../test-utils';

function Probe({ fail, data }: { fail?: ApiError; data?: string[] }) {
  const q = useQuery({ queryKey: ['probe', fail?.status, data], queryFn: async () => { if (fail) throw fail; return data ?? []; } });
  return <QueryState query={q} empty={(d) => d.length === 0}>{(d) => <ul>{d.map((x) => <li key={x}>{x}</li>)}</ul>}</QueryState>;
}

describe('QueryState', () => {
  it('shows the 404 page for a record one may not see', async () => {
    renderWithProviders(<Probe fail={new ApiError(404, { detail: 'Customer not found' })} />);
    expect(await screen.findByText('该记录不存在，或您无权查看。')).toBeInTheDocument();
  });
  it('shows the 403 page', async () => {
    renderWithProviders(<Probe fail={new ApiError(403, { detail: 'no' })} />);
    expect(await screen.findByText('您的角色不能打开此页面。')).toBeInTheDocument();
  });
  it("shows the problem's detail and field errors for other errors", async () => {
    renderWithProviders(<Probe fail={new ApiError(409, { detail: 'This customer was merged', errors: [{ field: 'from', code: 'merged', message: 'already merged' }] })} />);
    expect(await screen.findByText('This customer was merged — from: already merged')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /重\s*试/ })).toBeInTheDocument();
  });
  it('shows the empty state, then the data', async () => {
    const { unmount } = renderWithProviders(<Probe data={[]} />);
    expect(await screen.findByText('暂无数据')).toBeInTheDocument();
    unmount();
    renderWithProviders(<Probe data={['甲', '乙']} />);
    expect(await screen.findByText('乙')).toBeInTheDocument();
  });
});
