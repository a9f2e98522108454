import { useQuery } from '@tanstack/react-query';
import { Card, DatePicker, Space, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { fmtMoney, fmtTime } from '../components/bits';
import { LazyChart } from '../components/LazyChart';
import { ForbiddenPage, QueryState } from '../components/States';
import { can, useMe } from '../app/session';
import { DecisionButtons } from './ContractPage';

type Item = Schemas['InboxItemOut'];

export default function ApprovalsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(90, 'day'), dayjs()]);
  const inbox = useQuery({
    queryKey: ['approvals', 'inbox'],
    enabled: can(me.data, 'contracts:approve'),
    queryFn: () => unwrap(api.GET('/api/v1/approvals', { params: { query: { assignee: 'me', limit: 100 } } })),
  });
  const report = useQuery({
    queryKey: ['reports', 'approval-times', range[0].toISOString(), range[1].toISOString()],
    enabled: can(me.data, 'reports:read'),
    queryFn: () => unwrap(api.GET('/api/v1/reports/approval-times', { params: { query: { since: range[0].toISOString(), until: range[1].endOf('day').toISOString() } } })),
  });
  const chart = useMemo(() => report.data && ({
    tooltip: {}, legend: { top: 0, right: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: report.data.steps.map((s) => t(`enums.role.${s.role}`)) },
    yAxis: { type: 'value', name: 'h' },
    series: [
      { type: 'bar', name: 'avg', data: report.data.steps.map((s) => s.durations.avg_hours ?? 0) },
      { type: 'bar', name: 'median', data: report.data.steps.map((s) => s.durations.median_hours ?? 0) },
      { type: 'bar', name: 'p95', data: report.data.steps.map((s) => s.durations.p95_hours ?? 0) },
    ],
  }), [report.data, t]);
  if (!can(me.data, 'contracts:approve') && !can(me.data, 'reports:read')) return <ForbiddenPage />;
  return (
    <div>
      <Typography.Title level={3}>{t('contracts.inbox')}</Typography.Title>
      {can(me.data, 'contracts:approve') && (
        <Card size="small" style={{ marginBottom: 16 }}>
          <QueryState query={inbox} empty={(d) => d.items.length === 0}>
            {(d) => (
              <Table<Item> rowKey={(r) => `${r.contract_id}-${r.step}`} dataSource={d.items} pagination={false} scroll={{ x: 'max-content' }} data-testid="inbox"
                columns={[
                  { title: t('contracts.number'), dataIndex: 'number', render: (v, r) => <Link to={`/contracts/${r.contract_id}`}>{v}</Link> },
                  { title: t('common.name'), dataIndex: 'title' },
                  { title: t('contracts.customer'), dataIndex: 'customer_name' },
                  { title: t('contracts.amount'), dataIndex: 'amount', align: 'right', render: (v, r) => fmtMoney(v, r.currency) },
                  { title: t('contracts.role'), dataIndex: 'role', render: (v) => t(`enums.role.${v}`) },
                  { title: t('common.createdAt'), dataIndex: 'started_at', render: fmtTime },
                  { title: t('common.actions'), render: (_, r) => <DecisionButtons contract={{ id: r.contract_id, number: r.number }} step={r.step} /> },
                ]} />
            )}
          </QueryState>
        </Card>
      )}
      {can(me.data, 'reports:read') && (
        <Card size="small" title={t('contracts.approvalTimes')} extra={
          <DatePicker.RangePicker value={range} onChange={(v) => v && v[0] && v[1] && setRange([v[0], v[1]])} />
        }>
          <QueryState query={report}>
            {(r) => (
              <Space orientation="vertical" style={{ width: '100%' }}>
                {chart && <LazyChart option={chart} height={240} />}
                <Typography.Text type="secondary">
                  {Object.entries(r.pending).map(([role, n]) => `${t(`enums.role.${role}`)}: ${n}`).join(' · ')}
                  {r.rounds_within_one_day != null && ` · ≤1d: ${(r.rounds_within_one_day * 100).toFixed(0)}%`}
                </Typography.Text>
              </Space>
            )}
          </QueryState>
        </Card>
      )}
    </div>
  );
}
