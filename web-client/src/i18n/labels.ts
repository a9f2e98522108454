/**
 * Labels for codes: `label('lead_source', 'trade_show')` → 展会 / Trade show.
 *
 * Tables live in enumLabels.zh.ts and enumLabels.en.ts (also registered as i18n keys
 * `enum.<kind>.<value>`); enumKinds.ts says which kind each API enum uses. Codes are read from
 * the tables directly rather than through t(), because some codes contain i18next's key
 * separators (`customers:read`, `contract.signed`, `zh-CN`).
 *
 * A value with no label in the UI language falls back to the other language, then to the code
 * made readable ("trade_show" → "Trade show"), so a new server value shows something sane
 * while scripts/check-labels.mjs makes sure that never ships for an enum in the spec.
 */
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { enumEn } from './enumLabels.en';
import { enumZh } from './enumLabels.zh';
import { currentLang, type Lang } from './index';
import { NONE } from './format';

type Table = Record<string, Record<string, string> | undefined>;
const tables: Record<Lang, Table> = { 'zh-CN': enumZh, en: enumEn };

/** "trade_show" → "Trade show", "customers:read" → "Customers: read". */
export function readableCode(code: string): string {
  const words = code.replace(/[_-]+/g, ' ').replace(/[:.]/g, (sep) => (sep === ':' ? ': ' : ' ')).trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label of one code outside React (exports, chart options); '—' when there is no value. */
export function labelOf(kind: string, value: string | null | undefined, lang: Lang = currentLang()): string {
  if (value === null || value === undefined || value === '') return NONE;
  const other: Lang = lang === 'en' ? 'zh-CN' : 'en';
  return tables[lang][kind]?.[value] ?? tables[other][kind]?.[value] ?? readableCode(value);
}

/** Every code of a kind with its label, in the table's order: ready for a Select's options. */
export function labelOptions(kind: string, lang: Lang = currentLang(), values?: readonly string[]): { value: string; label: string }[] {
  const codes = values ?? Object.keys(tables.en[kind] ?? tables[lang][kind] ?? {});
  return codes.map((value) => ({ value, label: labelOf(kind, value, lang) }));
}

export type LabelFn = (kind: string, value: string | null | undefined) => string;
export type Labels = LabelFn & {
  /** The same function, for `const { label } = useLabels()`. */
  label: LabelFn;
  /** Select options for a kind; `values` limits and orders them. */
  options: (kind: string, values?: readonly string[]) => { value: string; label: string }[];
};

/**
 * Labels in the current UI language; the component re-renders when the language changes.
 * Use as `const label = useLabels()` or `const { label, options } = useLabels()`.
 */
export function useLabels(): Labels {
  const { i18n } = useTranslation();
  const lang: Lang = i18n.language === 'en' ? 'en' : 'zh-CN';
  return useMemo(() => {
    const label: LabelFn = (kind, value) => labelOf(kind, value, lang);
    const options = (kind: string, values?: readonly string[]) => labelOptions(kind, lang, values);
    return Object.assign(label, { label, options });
  }, [lang]);
}

/** An audit action "<object>.<verb>" (customer.updated) as 客户 · 修改 / Customer · updated. */
export function auditActionLabel(action: string, lang: Lang = currentLang()): string {
  const dot = action.indexOf('.');
  if (dot < 0) return labelOf('audit_verb', action, lang);
  return `${labelOf('audit_object', action.slice(0, dot), lang)} · ${labelOf('audit_verb', action.slice(dot + 1), lang)}`;
}
