import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from './client';
import { can, useMe } from '../app/session';

/** Users by id, when the caller may list them (reps may not: they see "me" or a short id). */
export function useUserNames() {
  const me = useMe();
  const allowed = can(me.data, 'users:read');
  const q = useQuery({
    queryKey: ['users', 'all'],
    queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { limit: 200 } } })),
    enabled: allowed,
    staleTime: 5 * 60_000,
  });
  const byId = new Map<string, Schemas['UserOut']>((q.data?.items ?? []).map((u) => [u.id, u]));
  const name = (id: string | null | undefined): string => {
    if (!id) return '—';
    if (id === me.data?.id) return me.data.name;
    return byId.get(id)?.name ?? id.slice(0, 8);
  };
  return { users: q.data?.items ?? [], name, allowed };
}

export function usePicklist(name: 'industry' | 'region') {
  return useQuery({
    queryKey: ['picklist', name],
    queryFn: () => unwrap(api.GET('/api/v1/picklists/{name}', { params: { path: { name } } })),
    staleTime: 10 * 60_000,
  });
}

export function useTags() {
  return useQuery({ queryKey: ['tags'], queryFn: () => unwrap(api.GET('/api/v1/tags')), staleTime: 60_000 });
}

/** A cursor-paginated list as pages; `items` flattens them. */
export function useCursorList<T>(key: unknown[], fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>, enabled = true) {
  const q = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return { ...q, items };
}
