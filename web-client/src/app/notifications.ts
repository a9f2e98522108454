import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, unwrap } from '../api/client';
import { authFetch } from '../api/auth';

/**
 * Reads the server-sent-events stream with fetch (EventSource cannot send the Authorization
 * header) and calls onEvent per event; resolves when the stream ends or is not there.
 */
export async function readEventStream(signal: AbortSignal, onEvent: (type: string, data: string) => void): Promise<boolean> {
  const res = await authFetch(new Request(new URL('/api/v1/notifications/stream', globalThis.location?.origin ?? 'http://localhost'), { signal, headers: { Accept: 'text/event-stream' } }));
  if (!res.ok || !res.body) return false;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return true;
    buf += value;
    let idx;
    while ((idx = buf.search(/\r?\n\r?\n/)) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx).replace(/^\r?\n\r?\n/, '');
      let type = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length || type !== 'message') onEvent(type, data.join('\n'));
    }
  }
}

/** Unread count, kept live by the SSE stream (polling every minute when there is none). */
export function useUnreadCount(enabled: boolean): number {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['notifications', 'unread-count'],
    queryFn: () => unwrap(api.GET('/api/v1/notifications/unread-count')),
    enabled,
    refetchInterval: 60_000,
  });
  useEffect(() => {
    if (!enabled) return;
    const ctl = new AbortController();
    let stopped = false;
    (async () => {
      for (let attempt = 0; !stopped && attempt < 20; attempt++) {
        try {
          const ok = await readEventStream(ctl.signal, () => {
            // A notification usually means work arrived: refresh what My day shows of it too.
            for (const key of ['notifications', 'approvals', 'tasks', 'leads']) void qc.invalidateQueries({ queryKey: [key] });
          });
          if (!ok) return; // no stream on this server: the poll above does the job
        } catch {
          if (stopped) return;
        }
        await new Promise((r) => setTimeout(r, 3000));
      }
    })();
    return () => { stopped = true; ctl.abort(); };
  }, [enabled, qc]);
  return q.data?.unread ?? 0;
}
