import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { App as AntApp } from 'antd';
import PipelinePage from './PipelinePage';
import { setTokens } from '../api/auth';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

vi.mock('../components/LazyChart', () => ({ LazyChart: () => <div data-testid="chart" /> }));

const stage = (id: string, key: string, name: string, position: number, requirements: string[] = []) => ({ id, key, name, position, probability: 10 * position, kind: 'open', requirements });
const stages = [stage('s1', 'initial_contact', 'Initial contact', 1), stage('s2', 'proposal', 'Proposal/quote', 2, ['amount', 'quote_reference'])];
const pipeline = { id: 'p1', name: 'Sales pipeline', is_default: true, stale_days: 14, active: true, stages, version: 1, created_at: null };
const opp = { id: 'o1', number: 'O202611000008', name: '二期扩产设备', customer_id: 'c1', customer_name: '上海明远精密机械有限公司', lead_id: null, pipeline_id: 'p1', stage_id: 's1', status: 'open', probability: 10,
  amount: '450000.00', weighted_amount: '45000.00', currency: 'CNY', expected_close_date: null, quote_reference: null, contract_reference: null, contract_status: null,
  lost_reason: null, owner_id: 'u1', owner_department_id: null, stage_entered_at: null, last_activity_at: null, closed_at: null, version: 4, created_at: null, updated_at: null };

describe('PipelinePage board', () => {
  it("moves a dropped card with If-Match and shows the API's requirement error on that card", async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    const calls = mockFetch({
      'GET /api/v1/me': () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'sales_rep', scopes: ['opportunities:read', 'opportunities:write'] }),
      'GET /api/v1/pipelines': () => jsonResponse(200, [pipeline]),
      'GET /api/v1/opportunities': () => jsonResponse(200, { view: 'board', pipeline, columns: [
        { stage: stages[0], count: 1, totals: [{ currency: 'CNY', amount: '450000.00', weighted: '45000.00' }], cards: [opp], next_cursor: null },
        { stage: stages[1], count: 0, totals: [], cards: [], next_cursor: null },
      ] }),
      'PATCH /api/v1/opportunities/o1': () => jsonResponse(422, { type: '/problems/validation', title: 'Unprocessable', status: 422, detail: 'The stage has requirements',
        errors: [{ field: 'quote_reference', code: 'pipeline.quote_required', message: 'a quote document is required to enter Proposal/quote' }] }),
    });
    renderWithProviders(<AntApp><PipelinePage /></AntApp>);
    const card = await screen.findByTestId('card-O202611000008');
    const data = new Map<string, string>();
    const dataTransfer = { setData: (k: string, v: string) => data.set(k, v), getData: (k: string) => data.get(k) ?? '', effectAllowed: 'move' };
    fireEvent.dragStart(card, { dataTransfer });
    fireEvent.dragOver(screen.getByTestId('column-proposal'), { dataTransfer });
    fireEvent.drop(screen.getByTestId('column-proposal'), { dataTransfer });
    const error = await within(card).findByTestId('card-error');
    expect(error).toHaveTextContent('a quote document is required to enter Proposal/quote');
    expect(error).not.toHaveTextContent('quote_reference');
    expect(within(card).getByRole('link', { name: '上海明远精密机械有限公司' })).toBeInTheDocument();
    const patch = calls.find((r) => r.method === 'PATCH')!;
    expect(patch.headers.get('If-Match')).toBe('"4"');
    expect(JSON.parse(await patch.text())).toEqual({ stage_id: 's2' });
    await waitFor(() => expect(within(screen.getByTestId('column-initial_contact')).getByTestId('card-O202611000008')).toBeInTheDocument());
  });

  it('moves a focused card to the next stage with the arrow key, without a mouse', async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    const calls = mockFetch({
      'GET /api/v1/me': () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'sales_rep', scopes: ['opportunities:read', 'opportunities:write'] }),
      'GET /api/v1/pipelines': () => jsonResponse(200, [pipeline]),
      'GET /api/v1/opportunities': () => jsonResponse(200, { view: 'board', pipeline, columns: [
        { stage: stages[0], count: 1, totals: [], cards: [opp], next_cursor: null },
        { stage: stages[1], count: 0, totals: [], cards: [], next_cursor: null },
      ] }),
      'PATCH /api/v1/opportunities/o1': () => jsonResponse(200, { ...opp, stage_id: 's2', version: 5 }),
    });
    renderWithProviders(<AntApp><PipelinePage /></AntApp>);
    const card = await screen.findByTestId('card-O202611000008');
    card.focus();
    fireEvent.keyDown(card, { key: 'ArrowLeft' });  // no stage before the first: nothing sent
    fireEvent.keyDown(card, { key: 'ArrowRight' });
    await waitFor(() => expect(calls.filter((r) => r.method === 'PATCH')).toHaveLength(1));
    const patch = calls.find((r) => r.method === 'PATCH')!;
    expect(JSON.parse(await patch.text())).toEqual({ stage_id: 's2' });
    expect(screen.getByTestId('jump-proposal')).toHaveTextContent('Proposal/quote');
  });
});
