import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { useLabels } from '../i18n/labels';

const COLOURS: Record<string, string> = {
  draft: 'default', in_approval: 'processing', approved: 'cyan', rejected: 'red', signed: 'blue',
  active: 'green', completed: 'success', terminated: 'volcano', expired: 'default',
};

export function ContractStatusTag({ status }: { status: string }) {
  const label = useLabels();
  return <Tag color={COLOURS[status]} data-testid="contract-status">{label('contract_status', status)}</Tag>;
}

/** How long a step took, in the UI language: "25 分钟", "3.5 小时", "2.1 天". */
export function useDuration(): (seconds: number | null | undefined) => string {
  const { t } = useTranslation();
  return (seconds) => {
    if (seconds == null) return '—';
    if (seconds < 3600) return t('contracts2.minutes', { n: Math.max(1, Math.round(seconds / 60)) });
    if (seconds < 86400 * 2) return t('contracts2.hours', { n: (seconds / 3600).toFixed(1) });
    return t('contracts2.days', { n: (seconds / 86400).toFixed(1) });
  };
}

/** The same in fixed short units, for places without the UI language at hand. */
export function fmtHours(seconds: number | null | undefined): string {
  if (seconds == null) return '—';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  if (seconds < 86400 * 2) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** Line total as the API computes it: quantity × unit price less the discount (per cent), to the cent. */
export function lineTotal(quantity: number, unitPrice: number, discountPercent = 0): number {
  return Math.round(quantity * unitPrice * (100 - discountPercent)) / 100;
}
