/**
 * Money, dates and relative times in the UI's current language.
 *
 * Amounts arrive from the API as decimal strings ("1800000.00"); they are shown with the
 * currency's narrow symbol in both languages (¥1,800,000.00), because a "CN¥" prefix reads
 * oddly to Chinese and English users alike. Charts and cards use the short form, which
 * follows the language's own grouping: 万/亿 in Chinese, K/M/B in English.
 */
import dayjs from 'dayjs';
import localizedFormat from 'dayjs/plugin/localizedFormat';
import relativeTime from 'dayjs/plugin/relativeTime';
import 'dayjs/locale/zh-cn';
import i18n from './index';

dayjs.extend(localizedFormat);
dayjs.extend(relativeTime);

/** What a missing value shows as, so a table cell is never blank by accident. */
export const NONE = '—';

type Amount = string | number | null | undefined;
type When = string | number | Date | dayjs.Dayjs | null | undefined;

function uiLanguage(): string {
  return i18n.language === 'en' ? 'en' : 'zh-CN';
}

/** The dayjs locale name for the UI language ('zh-cn' or 'en'). */
export function dayjsLocale(): string {
  return uiLanguage() === 'en' ? 'en' : 'zh-cn';
}

function toNumber(amount: Amount): number | null {
  if (amount === null || amount === undefined || amount === '') return null;
  const n = typeof amount === 'number' ? amount : Number(amount);
  return Number.isFinite(n) ? n : null;
}

function currencyFormat(currency: string, options: Intl.NumberFormatOptions): Intl.NumberFormat | null {
  try {
    return new Intl.NumberFormat(uiLanguage(), {
      style: 'currency', currency, currencyDisplay: 'narrowSymbol', ...options,
    });
  } catch {
    return null; // not an ISO 4217 code: shown as "<amount> <code>" below
  }
}

/** ¥1,800,000.00 — the full amount, for tables, forms and detail pages. */
export function formatMoney(amount: Amount, currency = 'CNY'): string {
  const n = toNumber(amount);
  if (n === null) return amount === null || amount === undefined || amount === '' ? NONE : String(amount);
  const format = currencyFormat(currency, {});
  if (format) return format.format(n);
  return `${new Intl.NumberFormat(uiLanguage(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n)} ${currency}`;
}

/** ¥180万, ¥1.2亿 (en: ¥1.8M) — for chart axes, tooltips and summary cards. */
export function formatMoneyShort(amount: Amount, currency = 'CNY'): string {
  const n = toNumber(amount);
  if (n === null) return amount === null || amount === undefined || amount === '' ? NONE : String(amount);
  const format = currencyFormat(currency, {
    notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1,
  });
  if (format) return format.format(n);
  return `${new Intl.NumberFormat(uiLanguage(), { notation: 'compact', maximumFractionDigits: 1 }).format(n)} ${currency}`;
}

/** A plain count with the language's grouping: 12,345. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat(uiLanguage()).format(n);
}

function parse(value: When): dayjs.Dayjs | null {
  if (value === null || value === undefined || value === '') return null;
  const d = dayjs(value);
  return d.isValid() ? d.locale(dayjsLocale()) : null;
}

/** 2026年12月8日 / Dec 8, 2026. A date-only string ("2026-12-08") stays that calendar day. */
export function formatDate(value: When): string {
  const d = parse(value);
  return d ? d.format('ll') : NONE;
}

/** 2026年12月8日 14:30 / Dec 8, 2026 2:30 PM, in the browser's time zone. */
export function formatDateTime(value: When): string {
  const d = parse(value);
  return d ? d.format('lll') : NONE;
}

/** 3 天前 / 3 days ago; "几秒后" / "in a few seconds" for the future. */
export function fromNow(value: When): string {
  const d = parse(value);
  return d ? d.fromNow() : NONE;
}
