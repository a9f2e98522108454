import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { getTokens, onAuthChange } from '../api/auth';

export type Me = Schemas['MeOut'];

export function useSignedIn(): boolean {
  const [signedIn, set] = useState(() => getTokens() !== null);
  useEffect(() => onAuthChange(set), []);
  return signedIn;
}

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: () => unwrap(api.GET('/api/v1/me')),
    staleTime: 60_000,
  });
}

export function can(me: Me | undefined, scope: Schemas['Scope']): boolean {
  return !!me && me.scopes.includes(scope);
}
