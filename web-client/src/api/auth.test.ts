import { beforeEach, describe, expect, it, vi } from 'vitest';
import { authFetch, getTokens, setTokens } from './auth';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('authFetch', () => {
  beforeEach(() => localStorage.clear());

  it('sends the bearer token and an Idempotency-Key on POST', async () => {
    setTokens({ access_token: 'A1', refresh_token: 'R1', expires_in: 900 });
    const seen: Request[] = [];
    const base = vi.fn(async (r: RequestInfo | URL) => { seen.push(r as Request); return json(200, {}); });
    await authFetch(new Request('http://x/api/v1/customers', { method: 'POST', body: '{}' }), base as unknown as typeof fetch);
    expect(seen[0].headers.get('Authorization')).toBe('Bearer A1');
    expect(seen[0].headers.get('Idempotency-Key')).toMatch(/.{8,}/);
  });

  it('asks for the words in the language the screen shows', async () => {
    const seen: Request[] = [];
    const base = vi.fn(async (r: RequestInfo | URL) => { seen.push(r as Request); return json(200, {}); });
    await authFetch(new Request('http://x/api/v1/notifications'), base as unknown as typeof fetch);
    localStorage.setItem('crm.lang', 'en');
    await authFetch(new Request('http://x/api/v1/notifications'), base as unknown as typeof fetch);
    expect(seen.map((r) => r.headers.get('Accept-Language'))).toEqual(['zh-CN', 'en']);
  });

  it('refreshes once on 401 and retries with the new token and the same key', async () => {
    setTokens({ access_token: 'old', refresh_token: 'R1', expires_in: 900 });
    const calls: { url: string; auth: string | null; key: string | null; body?: string }[] = [];
    const base = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const r = input instanceof Request ? input : new Request(String(input), init);
      calls.push({ url: r.url, auth: r.headers.get('Authorization'), key: r.headers.get('Idempotency-Key'), body: await r.clone().text() });
      if (r.url.endsWith('/auth/refresh')) return json(200, { access_token: 'new', refresh_token: 'R2', expires_in: 900 });
      return r.headers.get('Authorization') === 'Bearer new' ? json(201, { ok: true }) : json(401, { detail: 'expired' });
    });
    const res = await authFetch(new Request('http://x/api/v1/tasks', { method: 'POST', body: '{"title":"t"}' }), base as unknown as typeof fetch);
    expect(res.status).toBe(201);
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(['/api/v1/tasks', '/api/v1/auth/refresh', '/api/v1/tasks']);
    expect(JSON.parse(calls[1].body!)).toEqual({ refresh_token: 'R1' });
    expect(calls[2].key).toBe(calls[0].key);
    expect(calls[2].body).toBe('{"title":"t"}');
    expect(getTokens()?.refresh_token).toBe('R2');
  });

  it('signs out when the refresh token is refused', async () => {
    setTokens({ access_token: 'old', refresh_token: 'used', expires_in: 900 });
    const base = vi.fn(async () => json(401, { detail: 'no' }));
    const res = await authFetch(new Request('http://x/api/v1/me'), base as unknown as typeof fetch);
    expect(res.status).toBe(401);
    expect(getTokens()).toBeNull();
  });
});
