import { Tag } from 'antd';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';

const GRADE_COLOURS: Record<string, string> = { potential: 'default', intent: 'blue', closed: 'green', churned: 'red' };
const TIER_COLOURS: Record<string, string> = { strategic: 'gold', key: 'purple', normal: 'default' };
const LEAD_COLOURS: Record<string, string> = { high: 'red', medium: 'orange', low: 'default' };

export function GradeTag({ grade }: { grade: string }) {
  const { t } = useTranslation();
  return <Tag color={GRADE_COLOURS[grade]}>{t(`enums.grade.${grade}`)}</Tag>;
}
export function TierTag({ tier }: { tier: string }) {
  const { t } = useTranslation();
  return <Tag color={TIER_COLOURS[tier]}>{t(`enums.tier.${tier}`)}</Tag>;
}
export function LeadGradeTag({ grade }: { grade: string }) {
  const { t } = useTranslation();
  return <Tag color={LEAD_COLOURS[grade]}>{t(`enums.leadGrade.${grade}`)}</Tag>;
}

export const fmtTime = (v: string | null | undefined) => (v ? dayjs(v).format('YYYY-MM-DD HH:mm') : '—');
export const fmtDate = (v: string | null | undefined) => (v ? dayjs(v).format('YYYY-MM-DD') : '—');
export function fmtMoney(amount: string | null | undefined, currency = 'CNY'): string {
  if (amount == null || amount === '') return '—';
  const n = Number(amount);
  const sym = currency === 'CNY' ? '¥' : `${currency} `;
  return Number.isFinite(n) ? `${sym}${n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}` : `${sym}${amount}`;
}

/** CSV of rows already in the browser (lists whose API has no export job). */
export function rowsToCsv(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cell = (v: string | number | null | undefined) => {
    const s = v == null ? '' : String(v);
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s; // no formula injection in spreadsheets
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return '\ufeff' + [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function saveText(text: string, filename: string, type = 'text/csv;charset=utf-8') {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
