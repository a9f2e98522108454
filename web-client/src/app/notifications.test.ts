import { describe, expect, it } from 'vitest';
import { readEventStream } from './notifications';
import { setTokens } from '../api/auth';

describe('readEventStream', () => {
  it('reads events split across chunks, with the bearer token, until the stream ends', async () => {
    setTokens({ access_token: 'tok', refresh_token: 'r', expires_in: 900 });
    const chunks = ['event: notification\ndata: {"id":', '"n1"}\n\n: keep-alive\n\n', 'data: second\r\n\r\n'];
    let auth: string | null = null;
    globalThis.fetch = (async (req: Request) => {
      auth = req.headers.get('Authorization');
      const body = new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(new TextEncoder().encode(x)); c.close(); } });
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    }) as typeof fetch;
    const seen: [string, string][] = [];
    const ended = await readEventStream(new AbortController().signal, (type, data) => seen.push([type, data]));
    expect(ended).toBe(true);
    expect(auth).toBe('Bearer tok');
    expect(seen).toEqual([['notification', '{"id":"n1"}'], ['message', 'second']]);
  });

  it('reports a server without the stream', async () => {
    globalThis.fetch = (async () => new Response('{}', { status: 404 })) as typeof fetch;
    expect(await readEventStream(new AbortController().signal, () => {})).toBe(false);
  });
});
