import { Alert, Button, Empty, Result, Spin } from 'antd';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../api/client';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <Result status="404" title={t('common.notFound')} subTitle={t('common.notFoundDetail')}
      extra={<Link to="/my-day"><Button type="primary">{t('common.home')}</Button></Link>} />
  );
}

export function ForbiddenPage() {
  const { t } = useTranslation();
  return <Result status="403" title={t('common.forbidden')} subTitle={t('common.forbiddenDetail')} />;
}

/** The problem+json `detail` of an error, for a person to read. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = Array.from(new Set((err.problem.errors ?? []).map((e) => `${e.field}: ${e.message}`))).join('; ');
    const detail = err.problem.detail || err.message;
    return fields && (detail === fields || fields.includes(detail)) ? fields : [detail, fields].filter(Boolean).join(' — ');
  }
  return err instanceof Error ? err.message : String(err);
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (error instanceof ApiError && error.status === 404) return <NotFoundPage />;
  if (error instanceof ApiError && error.status === 403) return <ForbiddenPage />;
  return (
    <Result status="error" title={t('common.error')} subTitle={errorText(error)}
      extra={onRetry && <Button onClick={onRetry}>{t('common.retry')}</Button>} />
  );
}

/** Loading, error (404/403/problem detail) and empty states around a query's data. */
export function QueryState<T>({ query, empty, children }: {
  query: UseQueryResult<T>;
  empty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  if (query.isPending) return <div style={{ padding: 32, textAlign: 'center' }}><Spin description={t('common.loading')}><div style={{ minHeight: 40 }} /></Spin></div>;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => query.refetch()} />;
  if (empty && empty(query.data)) return <Empty description={t('common.empty')} />;
  return <>{children(query.data)}</>;
}

export function InlineError({ error }: { error: unknown }) {
  if (!error) return null;
  return <Alert type="error" showIcon title={errorText(error)} style={{ marginBottom: 12 }} />;
}
