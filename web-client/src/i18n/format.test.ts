import { afterEach, describe, expect, it, vi } from 'vitest';
import i18n from './index';
import { formatDate, formatDateTime, formatMoney, formatMoneyShort, fromNow } from './format';

afterEach(async () => {
  vi.useRealTimers();
  await i18n.changeLanguage('zh-CN');
});

describe('money', () => {
  it('shows yuan with the narrow symbol and two decimals in both languages', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(formatMoney('1800000.00')).toBe('¥1,800,000.00');
    expect(formatMoney(1800000, 'CNY')).toBe('¥1,800,000.00');
    await i18n.changeLanguage('en');
    expect(formatMoney('1800000')).toBe('¥1,800,000.00');
  });

  it('uses the symbol of other currencies and survives a code Intl does not know', async () => {
    await i18n.changeLanguage('en');
    expect(formatMoney('12.5', 'USD')).toBe('$12.50');
    expect(formatMoney('12.5', 'POINTS')).toBe('12.50 POINTS');
  });

  it('shows a dash for a missing amount and the raw text for one that is not a number', () => {
    expect(formatMoney(null)).toBe('—');
    expect(formatMoney(undefined)).toBe('—');
    expect(formatMoney('')).toBe('—');
    expect(formatMoney('n/a')).toBe('n/a');
  });

  it('shortens to 万 and 亿 in Chinese and to K/M in English', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(formatMoneyShort('1800000.00')).toBe('¥180万');
    expect(formatMoneyShort(123456789)).toBe('¥1.2亿');
    expect(formatMoneyShort(999)).toBe('¥999');
    await i18n.changeLanguage('en');
    expect(formatMoneyShort('1800000.00')).toBe('¥1.8M');
    expect(formatMoneyShort(12345)).toBe('¥12.3K');
  });
});

describe('dates', () => {
  it('writes dates the way each language does, keeping a date-only value on its day', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(formatDate('2026-12-08')).toBe('2026年12月8日');
    expect(formatDateTime(new Date(2026, 11, 8, 14, 30))).toBe('2026年12月8日 14:30');
    await i18n.changeLanguage('en');
    expect(formatDate('2026-12-08')).toBe('Dec 8, 2026');
    expect(formatDateTime(new Date(2026, 11, 8, 14, 30))).toBe('Dec 8, 2026 2:30 PM');
    expect(formatDate(null)).toBe('—');
    expect(formatDate('not a date')).toBe('—');
  });

  it('says how long ago in the UI language', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-08T12:00:00Z'));
    await i18n.changeLanguage('zh-CN');
    expect(fromNow('2026-12-05T12:00:00Z')).toBe('3 天前');
    await i18n.changeLanguage('en');
    expect(fromNow('2026-12-05T12:00:00Z')).toBe('3 days ago');
    expect(fromNow('2026-12-08T15:00:00Z')).toBe('in 3 hours');
  });
});
