import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';

// Reference data the admin panels share: the role matrix and the department list.
export function useRoles() {
  return useQuery({ queryKey: ['roles'], queryFn: () => unwrap(api.GET('/api/v1/roles')), staleTime: 10 * 60_000 });
}

export function useDepartments() {
  return useQuery({ queryKey: ['departments'], queryFn: () => unwrap(api.GET('/api/v1/departments', { params: { query: { limit: 200 } } })) });
}
