import { fireEvent, screen, waitFor } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { describe, expect, it } from 'vitest';
import { setTokens } from '../api/auth';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';
import ImportPage from './ImportPage';

const previewed = {
  id: 'i1', filename: '客户名单.csv', format: 'csv', encoding: 'utf-8', policy: 'merge', target: 'customers', dry_run: true,
  status: 'previewed', error: null, mapping: { 公司名称: 'name', 采购金额: 'annual_purchase' }, rows_total: 1200, rows_read: 1200,
  created: 1100, updated: 0, merged: 90, skipped: 0, rejected: 10, progress: 1, created_at: '2026-12-01T02:30:00Z', finished_at: null,
};

describe('ImportPage', () => {
  it('offers the duplicate policy in words and shows the preview with labels, not codes', async () => {
    setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 900 });
    mockFetch({
      'GET /api/v1/me': () => jsonResponse(200, { kind: 'user', id: 'u1', name: '李销售', role: 'sales_rep', scopes: ['customers:read', 'customers:write'] }),
      'POST /api/v1/imports': () => jsonResponse(201, previewed),
      'GET /api/v1/imports/i1': () => jsonResponse(200, previewed),
    });
    const { container } = renderWithProviders(<AntApp><ImportPage /></AntApp>);
    expect(await screen.findByText('跳过重复记录')).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: '客户' })).toBeChecked();
    const input = container.querySelector('input[type=file]') as HTMLInputElement;
    fireEvent.change(input, { target: { files: [new File(['公司名称\n明远'], 'customers.csv', { type: 'text/csv' })] } });
    await waitFor(() => expect(screen.getByTestId('dry-run')).toBeEnabled());
    fireEvent.click(screen.getByTestId('dry-run'));
    const summary = await screen.findByTestId('import-summary');
    expect(summary).toHaveTextContent('补全已有记录');
    expect(summary).toHaveTextContent('已预览');
    expect(summary).toHaveTextContent('2026');
    expect(summary.textContent).not.toMatch(/merge|previewed|customers\b/);
    expect(screen.getByText('年采购额')).toBeInTheDocument();
    expect(screen.queryByText('annual_purchase')).toBeNull();
  });
});
