import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Schemas } from './client';
import { can, useMe } from '../app/session';

/** Every user's name, role and department (the directory any signed-in user may read), so
 * owners, assignees and approvers show as names for reps too. `allowed` tells whether the
 * caller may administer or filter by other users (users:read). */
export function useUserNames() {
  const me = useMe();
  const allowed = can(me.data, 'users:read');
  const q = useQuery({
    queryKey: ['users', 'directory'],
    queryFn: async () => {
      const all: Schemas['DirectoryEntry'][] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/v1/users/directory', { params: { query: { limit: 200, cursor } } }));
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return all;
    },
    enabled: !!me.data,
    staleTime: 5 * 60_000,
  });
  const users = q.data ?? [];
  const byId = new Map(users.map((u) => [u.id, u]));
  const name = (id: string | null | undefined): string => {
    if (!id) return '—';
    if (id === me.data?.id) return me.data.name;
    return byId.get(id)?.name ?? id.slice(0, 8);
  };
  return { users, name, allowed };
}

/** An admin-managed list (industry, region): records keep the value, people read its words in
 * the language chosen in the app (`labels` holds every language, so switching needs no refetch). */
export function usePicklist(name: 'industry' | 'region') {
  const { i18n } = useTranslation();
  const q = useQuery({
    queryKey: ['picklist', name],
    queryFn: () => unwrap(api.GET('/api/v1/picklists/{name}', { params: { path: { name } } })),
    staleTime: 10 * 60_000,
  });
  const locale = i18n.language === 'en' ? 'en' : 'zh-CN';
  const { label, options } = useMemo(() => {
    const items = q.data?.items ?? [];
    const byValue = new Map(items.map((item) => [item.value, item.labels[locale] ?? item.label]));
    return {
      label: (value: string | null | undefined): string => (value ? byValue.get(value) ?? value : ''),
      options: items.map((item) => ({ value: item.value, label: byValue.get(item.value) ?? item.value })),
    };
  }, [q.data, locale]);
  return { ...q, options, label };
}

export function useTags() {
  return useQuery({ queryKey: ['tags'], queryFn: () => unwrap(api.GET('/api/v1/tags')), staleTime: 60_000 });
}

/** One page of a list; the first page also says how many match when asked (`with_total`). */
export interface CursorPage<T> { items: T[]; next_cursor: string | null; total?: number | null; total_is_lower_bound?: boolean | null }

/** A cursor-paginated list as pages; `items` flattens them. */
export function useCursorList<T>(key: unknown[], fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>, enabled = true) {
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
