import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { zh } from './zh';
import { en } from './en';
import { enumEn } from './enumLabels.en';
import { enumZh } from './enumLabels.zh';

export type Lang = 'zh-CN' | 'en';
const KEY = 'crm.lang';

export function initialLang(): Lang {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(KEY) : null;
  return saved === 'en' ? 'en' : 'zh-CN';
}

/** Everything outside i18next that renders words follows the language too: dayjs month and
 * weekday names (Ant Design's date picker reads them from dayjs) and the page's lang. */
function followLanguage(lang: string): void {
  dayjs.locale(lang === 'en' ? 'en' : 'zh-cn');
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

i18n.on('languageChanged', followLanguage);

void i18n.use(initReactI18next).init({
  // Code labels sit under `enum`; labels.ts reads them (see enumKinds.ts for the kinds).
  resources: {
    'zh-CN': { translation: { ...zh, enum: enumZh } },
    en: { translation: { ...en, enum: enumEn } },
  },
  lng: initialLang(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
});
followLanguage(i18n.language);

export function setLang(lang: Lang): void {
  localStorage.setItem(KEY, lang);
  void i18n.changeLanguage(lang);
}

/** The UI language as the API's Accept-Language and locale fields spell it. */
export function currentLang(): Lang {
  return i18n.language === 'en' ? 'en' : 'zh-CN';
}

export default i18n;
