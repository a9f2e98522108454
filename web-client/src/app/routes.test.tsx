import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryRouter, RouterProvider } from 'react-router';
import i18n from '../i18n';
import { routes } from './routes';

afterEach(async () => {
  vi.restoreAllMocks();
  await i18n.changeLanguage('zh-CN');
});

function open(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(<QueryClientProvider client={new QueryClient()}><RouterProvider router={router} /></QueryClientProvider>);
  return router;
}

describe('routes', () => {
  it('name the page in the tab, in the UI language, without a hydration warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    open('/login');
    // The first render loads the page's chunk, which is slow on a busy machine.
    await waitFor(() => expect(document.title).toBe('登录 · CRM'), { timeout: 25000 });
    await act(async () => { await i18n.changeLanguage('en'); });
    await waitFor(() => expect(document.title).toBe('Sign in · CRM'));
    const said = [...warn.mock.calls, ...error.mock.calls].map((args) => String(args[0]));
    expect(said.filter((s) => /HydrateFallback/.test(s))).toEqual([]);
  });

  it('name each admin section from the URL', async () => {
    localStorage.setItem('crm.tokens', JSON.stringify({ access_token: 'a', refresh_token: 'r', expires_in: 900 }));
    globalThis.fetch = (async () => new Response('{}', { status: 503 })) as typeof fetch;
    open('/admin/approval-policy');
    await waitFor(() => expect(document.title).toBe('审批策略 · CRM'), { timeout: 25000 });
  });
});
