import { useQuery } from '@tanstack/react-query';
import { Card, DatePicker, Empty, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { LazyChart } from '../components/LazyChart';
import { RecordList } from '../components/RecordList';
import { ForbiddenPage, QueryState } from '../components/States';
import { can, useMe } from '../app/session';
import { formatDateTime, formatMoney, fromNow } from '../i18n/format';
import { useLabels } from '../i18n/labels';
import { DecisionButtons } from './ContractPage';

type Item = Schemas['InboxItemOut'];
type Report = Schemas['ApprovalTimesOut'];

/** A range with no decided step has nothing to chart: bars of zero would read as "instant". */
export function hasDecisions(report: Report): boolean {
  return report.steps.some((s) => s.durations.count > 0);
}

/** An approval on a phone: what is asked, then both decisions as full-width buttons at the bottom. */
function ApprovalCard({ item }: { item: Item }) {
  const label = useLabels();
  return (
    <div data-testid="approval-card">
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
        <Link to={`/contracts/${item.contract_id}`}><Typography.Text strong>{item.number}</Typography.Text></Link>
        <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>{formatMoney(item.amount, item.currency)}</Typography.Text>
      </div>
      <Typography.Text ellipsis style={{ display: 'block' }}>{item.customer_name}</Typography.Text>
      <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 8 }}>
        {label('approval_step_role', item.role)} · {fromNow(item.started_at)}
      </Typography.Text>
      <DecisionButtons contract={{ id: item.contract_id, number: item.number }} step={item.step} block />
    </div>
  );
}

export default function ApprovalsPage() {
  const { t } = useTranslation();
  const label = useLabels();
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
  const chart = useMemo(() => report.data && hasDecisions(report.data) && ({
    tooltip: {}, legend: { top: 0, right: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 28, containLabel: true },
    xAxis: { type: 'category', data: report.data.steps.map((s) => label('approval_step_role', s.role)) },
    yAxis: { type: 'value', name: t('approvals.hoursAxis') },
    series: [
      { type: 'bar', name: t('approvals.average'), data: report.data.steps.map((s) => s.durations.avg_hours) },
      { type: 'bar', name: t('approvals.median'), data: report.data.steps.map((s) => s.durations.median_hours) },
      { type: 'bar', name: t('approvals.p95'), data: report.data.steps.map((s) => s.durations.p95_hours) },
    ],
  }), [report.data, t, label]);
  if (!can(me.data, 'contracts:approve') && !can(me.data, 'reports:read')) return <ForbiddenPage />;
  return (
    <div>
      <Typography.Title level={3}>{t('contracts.inbox')}</Typography.Title>
      {can(me.data, 'contracts:approve') && (
        <Card size="small" style={{ marginBottom: 16 }}>
          <QueryState query={inbox}>
            {(d) => d.items.length === 0 ? <Empty description={t('approvals.empty')} data-testid="inbox-empty" /> : (
              // A fixed layout that fits 1366 px: the title gives way (ellipsis) before any column
              // is scrolled off, and the decision column stays pinned on narrower screens.
              <RecordList<Item> rowKey={(r) => `${r.contract_id}-${r.step}`} dataSource={d.items} data-testid="inbox"
                tableLayout="fixed" scroll={{ x: 1000 }}
                card={(r) => <ApprovalCard item={r} />}
                columns={[
                  { title: t('contracts.number'), dataIndex: 'number', width: 160, render: (v, r) => <Link to={`/contracts/${r.contract_id}`}>{v}</Link> },
                  { title: t('common.name'), dataIndex: 'title', ellipsis: { showTitle: true } },
                  { title: t('contracts.customer'), dataIndex: 'customer_name', width: 200, ellipsis: { showTitle: true } },
                  { title: t('contracts.amount'), dataIndex: 'amount', width: 140, align: 'right', render: (v, r) => formatMoney(v, r.currency) },
                  { title: t('contracts.role'), dataIndex: 'role', width: 100, render: (v) => label('approval_step_role', v) },
                  { title: t('approvals.waitingSince'), dataIndex: 'started_at', width: 110, render: (v) => <span title={formatDateTime(v)}>{fromNow(v)}</span> },
                  // Kept in view at any width: the decision is what this page is for.
                  { title: t('common.actions'), key: 'decide', fixed: 'right', width: 180, render: (_, r) => <DecisionButtons contract={{ id: r.contract_id, number: r.number }} step={r.step} /> },
                ]} />
            )}
          </QueryState>
        </Card>
      )}
      {can(me.data, 'reports:read') && (
        <Card size="small" title={t('contracts.approvalTimes')}>
          {/* In the body rather than the title bar, where a phone would cut the title short. */}
          <DatePicker.RangePicker value={range} onChange={(v) => v && v[0] && v[1] && setRange([v[0], v[1]])} aria-label={t('approvals.range')} style={{ marginBottom: 12, maxWidth: '100%' }} />
          <QueryState query={report}>
            {(r) => (
              <Space orientation="vertical" style={{ width: '100%' }}>
                {chart ? <LazyChart option={chart} height={240} /> : (
                  <Empty description={t('approvals.noDecisions')} data-testid="approval-chart-empty" />
                )}
                <Typography.Text type="secondary">
                  {Object.entries(r.pending).map(([role, n]) => t('approvals.pendingAt', { role: label('approval_step_role', role), n })).join(' · ')}
                  {r.rounds_within_one_day != null && ` · ${t('approvals.withinOneDay', { share: (r.rounds_within_one_day * 100).toFixed(0) })}`}
                </Typography.Text>
              </Space>
            )}
          </QueryState>
        </Card>
      )}
    </div>
  );
}
