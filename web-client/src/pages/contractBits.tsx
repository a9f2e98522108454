import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';

const COLOURS: Record<string, string> = {
  draft: 'default', in_approval: 'processing', approved: 'cyan', rejected: 'red', signed: 'blue',
  active: 'green', completed: 'success', terminated: 'volcano', expired: 'default',
};

export function ContractStatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return <Tag color={COLOURS[status]} data-testid="contract-status">{t(`enums.contractStatus.${status}`)}</Tag>;
}

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
