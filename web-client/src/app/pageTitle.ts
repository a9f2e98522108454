import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useMatches, type Params } from 'react-router';

/** A route's `handle`: the i18n key of its page name, or a function of the URL's params. */
export interface TitleHandle {
  title: string | ((params: Params) => string);
}

function isTitleHandle(handle: unknown): handle is TitleHandle {
  return !!handle && typeof handle === 'object' && 'title' in handle;
}

/** Keeps the tab's title on the deepest route's name, e.g. "客户 · CRM", in the UI language. */
export function usePageTitle(): void {
  const matches = useMatches();
  const { t, i18n } = useTranslation();
  const deepest = [...matches].reverse().find((match) => isTitleHandle(match.handle));
  let name = '';
  if (deepest && isTitleHandle(deepest.handle)) {
    const { title } = deepest.handle;
    name = t(typeof title === 'function' ? title(deepest.params) : title);
  }
  const full = name ? `${name} · ${t('app.short')}` : t('app.short');
  useEffect(() => { document.title = full; }, [full, i18n.language]);
}
