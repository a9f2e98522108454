/**
 * The UI language beyond i18next: Ant Design's own words (date pickers, pagination, empty
 * states) and the user's locale on the server, which decides the language of the text the server
 * writes (notifications sent later, problems, timeline entries).
 */
import { useQueryClient } from '@tanstack/react-query';
import { ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { useCallback, useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { saveLocale } from '../api/client';
import { setLang, type Lang } from '../i18n';

const SAVED_KEY = 'crm.lang.server'; // "<user id>:<lang>" last saved, to save only on a change

// Ant Design's default blue and its lighter greys (secondary text, placeholders, empty states)
// fall below WCAG AA contrast on white; these keep the look and reach 4.5:1.
const THEME = {
  token: {
    colorPrimary: '#0958d9',
    colorError: '#d4380d',
    colorInfo: '#0958d9',
    colorLink: '#0958d9',
    colorTextSecondary: 'rgba(0, 0, 0, 0.65)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.6)',
    colorTextQuaternary: 'rgba(0, 0, 0, 0.55)',
  },
};

/** Ant Design in the UI language; re-renders its pickers when the language switches. */
export function LocaleProvider({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={i18n.language === 'en' ? enUS : zhCN} theme={THEME}>
      {children}
    </ConfigProvider>
  );
}

async function saveFor(userId: string, lang: Lang): Promise<void> {
  await saveLocale(lang);
  localStorage.setItem(SAVED_KEY, `${userId}:${lang}`);
}

/**
 * The header's language switch: changes the UI at once, saves the choice as the user's
 * locale, then reloads what the server wrote so it comes back in the new language.
 */
export function useLanguageSwitch(userId: string | undefined): (lang: Lang) => void {
  const queryClient = useQueryClient();
  return useCallback((lang: Lang) => {
    setLang(lang);
    if (!userId) return;
    saveFor(userId, lang)
      .then(() => queryClient.invalidateQueries())
      .catch(() => { /* the UI has switched; the server keeps the old locale until next time */ });
  }, [userId, queryClient]);
}

/** A language picked before signing in (on the log-in page, another device) is saved once. */
export function useServerLocaleSync(userId: string | undefined): void {
  const { i18n } = useTranslation();
  const lang: Lang = i18n.language === 'en' ? 'en' : 'zh-CN';
  useEffect(() => {
    if (!userId || localStorage.getItem(SAVED_KEY) === `${userId}:${lang}`) return;
    saveFor(userId, lang).catch(() => { /* tried again on the next load */ });
  }, [userId, lang]);
}
