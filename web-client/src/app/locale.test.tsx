import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, renderHook, screen, waitFor } from '@testing-library/react';
import { DatePicker } from 'antd';
import dayjs from 'dayjs';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { api, unwrap } from '../api/client';
import i18n from '../i18n';
import { jsonResponse, mockFetch } from '../test-utils';
import { LocaleProvider, useLanguageSwitch, useServerLocaleSync } from './locale';

afterEach(async () => { await i18n.changeLanguage('zh-CN'); });

function picker() {
  return render(
    <LocaleProvider>
      <DatePicker open defaultPickerValue={dayjs('2026-12-08')} getPopupContainer={(el) => el.parentElement!} />
    </LocaleProvider>,
  );
}

describe('the date picker', () => {
  it('names months and weekdays in Chinese, and in English after the switch', async () => {
    await i18n.changeLanguage('zh-CN');
    picker();
    expect(await screen.findByText('2026年')).toBeInTheDocument();
    expect(screen.getByText('12月')).toBeInTheDocument();
    for (const day of ['一', '二', '三']) expect(screen.getByText(day)).toBeInTheDocument();
    expect(screen.queryByText('Dec')).toBeNull();
    await act(async () => { await i18n.changeLanguage('en'); });
    expect(await screen.findByText('Dec')).toBeInTheDocument();
    expect(screen.getByText('Mo')).toBeInTheDocument();
  });
});

describe('the language on the server', () => {
  it('is asked for on every request', async () => {
    const calls = mockFetch({ 'GET /api/v1/me': () => jsonResponse(200, { id: 'u1' }) });
    await i18n.changeLanguage('en');
    await unwrap(api.GET('/api/v1/me'));
    await i18n.changeLanguage('zh-CN');
    await unwrap(api.GET('/api/v1/me'));
    expect(calls.map((c) => c.headers.get('Accept-Language'))).toEqual(['en', 'zh-CN']);
  });

  it('is saved as the user locale when the user switches, then server text is reloaded', async () => {
    const saved: unknown[] = [];
    mockFetch({
      'PUT /api/v1/me/notification-preferences': async (req) => { saved.push(await req.json()); return jsonResponse(200, {}); },
    });
    const qc = new QueryClient();
    let refetched = false;
    qc.getQueryCache().subscribe((e) => { if (e.type === 'updated' && e.action.type === 'invalidate') refetched = true; });
    qc.setQueryData(['timeline'], ['old']);
    const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={qc}>{children}</QueryClientProvider>;
    const { result } = renderHook(() => useLanguageSwitch('u1'), { wrapper });
    act(() => result.current('en'));
    expect(i18n.language).toBe('en');
    await waitFor(() => expect(saved).toEqual([{ locale: 'en' }]));
    await waitFor(() => expect(refetched).toBe(true));
    expect(localStorage.getItem('crm.lang')).toBe('en');
  });

  it('is saved once after signing in with a language picked before', async () => {
    const saved: unknown[] = [];
    mockFetch({
      'PUT /api/v1/me/notification-preferences': async (req) => { saved.push(await req.json()); return jsonResponse(200, {}); },
    });
    await i18n.changeLanguage('en');
    const first = renderHook(() => useServerLocaleSync('u1'));
    await waitFor(() => expect(saved).toEqual([{ locale: 'en' }]));
    first.unmount();
    renderHook(() => useServerLocaleSync('u1'));
    await new Promise((r) => setTimeout(r, 50));
    expect(saved).toHaveLength(1);
  });
});
