import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { authFetch } from './auth';
import { currentLang } from '../i18n';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

/** Asks for server-written text (problems, timeline, notifications) in the UI's language. The
 * user's saved locale wins on the server, so switching language also saves it (saveLocale). */
function inUiLanguage(req: Request): Request {
  req.headers.set('Accept-Language', currentLang());
  return req;
}

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? '',
  fetch: (req: Request) => authFetch(inUiLanguage(req), (...a) => globalThis.fetch(...a)),
});

/** An API answer that was not 2xx, with the problem+json body when there was one. */
export class ApiError extends Error {
  status: number;
  problem: Partial<Problem>;
  retryAfter: number | null;
  constructor(status: number, problem: Partial<Problem>, retryAfter: number | null = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) out[e.field] = e.message;
    return out;
  }
}

export function toProblem(body: unknown, status: number): Partial<Problem> {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.detail === 'string' || typeof b.title === 'string') return b as Partial<Problem>;
    if (Array.isArray(b.detail)) {
      return { status, title: 'Validation failed',
        detail: (b.detail as { msg: string; loc: unknown[] }[]).map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; ') };
    }
  }
  return { status, title: `HTTP ${status}`, detail: typeof body === 'string' && body ? body : `HTTP ${status}` };
}

/** Returns data of an openapi-fetch call, or throws ApiError with its problem+json. */
export async function unwrap<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await p;
  if (!response.ok) {
    const ra = response.headers.get('Retry-After');
    throw new ApiError(response.status, toProblem(error, response.status), ra ? Number(ra) : null);
  }
  return data as T;
}

/** A list page without the tombstones a delta sync (`updated_since`) may hold: the screens ask
 * for live records only, so this only narrows the type. */
export function liveItems<T extends { items: ReadonlyArray<{ deleted?: boolean }> }>(
  page: T,
): Omit<T, 'items'> & { items: Exclude<T['items'][number], { deleted?: true }>[] } {
  return { ...page, items: page.items.filter((item) => !item.deleted) as Exclude<T['items'][number], { deleted?: true }>[] };
}

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Downloads an authenticated file (CSV of error rows, exports). */
export async function download(url: string, filename: string): Promise<void> {
  const res = await authFetch(inUiLanguage(new Request(url)));
  if (!res.ok) {
    let body: unknown = null;
    try { body = await res.json(); } catch { /* not json */ }
    throw new ApiError(res.status, toProblem(body, res.status));
  }
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** For routes not in the generated types yet (APIs landing in parallel): same auth and errors. */
export async function rawJson<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await authFetch(inUiLanguage(new Request(new URL(path, globalThis.location?.origin ?? 'http://localhost'), {
    method, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })));
  const text = await res.text();
  let data: unknown = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const ra = res.headers.get('Retry-After');
    throw new ApiError(res.status, toProblem(data, res.status), ra ? Number(ra) : null);
  }
  return data as T;
}

/** Saves the UI language as the signed-in user's locale, which the server writes its text in
 * (notifications sent later, problems, timeline entries). Only the locale changes. */
export async function saveLocale(locale: 'zh-CN' | 'en'): Promise<void> {
  await unwrap(api.PUT('/api/v1/me/notification-preferences', { body: { locale } }));
}
