// Tokens live in localStorage so a reload keeps the session; the access token is refreshed
// silently (once, shared by concurrent requests) when the API answers 401.
import { initialLang } from '../i18n';

export interface Tokens { access_token: string; refresh_token: string; expires_in: number }

const KEY = 'crm.tokens';
type Listener = (signedIn: boolean) => void;
const listeners = new Set<Listener>();

export function getTokens(): Tokens | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function setTokens(t: Tokens | null): void {
  if (t) localStorage.setItem(KEY, JSON.stringify(t));
  else localStorage.removeItem(KEY);
  listeners.forEach((l) => l(t !== null));
}

export function onAuthChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

let refreshing: Promise<boolean> | null = null;

/** Swaps the refresh token for a new pair; false (and signed out) when that fails. */
export function refreshTokens(baseFetch: typeof fetch = fetch): Promise<boolean> {
  if (refreshing) return refreshing;
  const current = getTokens();
  if (!current) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await baseFetch(new URL('/api/v1/auth/refresh', globalThis.location?.origin ?? 'http://localhost').toString(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': newKey() },
        body: JSON.stringify({ refresh_token: current.refresh_token }),
      });
      if (!res.ok) {
        setTokens(null);
        return false;
      }
      setTokens((await res.json()) as Tokens);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export function newKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** fetch with the bearer token, an Idempotency-Key on every POST, and one silent refresh. */
export async function authFetch(input: Request, baseFetch: typeof fetch = fetch): Promise<Response> {
  const prepared = (req: Request) => {
    const t = getTokens();
    if (t) req.headers.set('Authorization', `Bearer ${t.access_token}`);
    // The server writes its words (problems, notifications) in the language the screen shows,
    // unless the user saved another one.
    if (!req.headers.has('Accept-Language')) req.headers.set('Accept-Language', initialLang());
    if (req.method === 'POST' && !req.headers.has('Idempotency-Key')) {
      req.headers.set('Idempotency-Key', newKey());
    }
    return req;
  };
  const first = prepared(input.clone());
  const spare = input.clone();
  const res = await baseFetch(first);
  if (res.status !== 401 || !getTokens() || input.url.includes('/auth/')) return res;
  if (!(await refreshTokens(baseFetch))) return res;
  // The retry must reuse the key: it is the same request.
  if (first.headers.has('Idempotency-Key')) spare.headers.set('Idempotency-Key', first.headers.get('Idempotency-Key')!);
  return baseFetch(prepared(spare));
}
