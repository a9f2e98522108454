import { PlusOutlined, SwapOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert, App, Button, Card, Dropdown, Form, Input, InputNumber, Modal, Segmented, Select, Space, Tag, Typography, DatePicker,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useMemo, useRef, useState, type Key, type KeyboardEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, ApiError, etagOf, unwrap, type Schemas } from '../api/client';
import { useCursorList, useUserNames, type CursorPage } from '../api/hooks';
import { fmtDate, fmtMoney } from '../components/bits';
import { formatDate, formatMoney, formatMoneyShort } from '../i18n/format';
import { RecordList } from '../components/RecordList';
import {
  BulkBar, ColumnChooser, SavedViews, ServerExportButton, SortSelect, assignableOwners, chosenColumns, compactFilter, ownerFromView, ownerIdOf,
  sortFromTable, useListSettings, usePhone, withServerSort, type KeyedColumn,
} from '../components/ListTools';
import { useLabels } from '../i18n/labels';
import { LazyChart } from '../components/LazyChart';
import { OpportunityDrawer } from './OpportunityDrawer';
import { ErrorState, InlineError, QueryState, errorText } from '../components/States';
import { can, useMe } from '../app/session';

type Opp = Schemas['OpportunityOut'];
type Board = Schemas['BoardOut'];
type Stage = Schemas['StageOut'];

export default function PipelinePage() {
  const { t } = useTranslation();
  const me = useMe();
  const [view, setView] = useState<'board' | 'list'>('board');
  const [pipelineId, setPipelineId] = useState<string | undefined>();
  const [creating, setCreating] = useState(false);
  const pipelines = useQuery({ queryKey: ['pipelines'], queryFn: () => unwrap(api.GET('/api/v1/pipelines')) });
  const current = pipelines.data?.find((p) => p.id === pipelineId) ?? pipelines.data?.find((p) => p.is_default) ?? pipelines.data?.[0];
  if (pipelines.isPending || pipelines.isError) return <QueryState query={pipelines}>{() => null}</QueryState>;
  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('pipeline.title')}</Typography.Title>
        <Space wrap>
          <Select style={{ width: 180 }} value={current?.id} onChange={setPipelineId} aria-label={t('pipeline.which')} options={pipelines.data.map((p) => ({ value: p.id, label: p.name }))} />
          <Segmented value={view} onChange={(v) => setView(v as 'board' | 'list')} options={[{ value: 'board', label: t('pipeline.board') }, { value: 'list', label: t('pipeline.list') }]} />
          {can(me.data, 'opportunities:write') && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('pipeline.newOpp')}</Button>}
        </Space>
      </Space>
      {current && (view === 'board' ? <BoardView pipeline={current} /> : <ListView pipeline={current} />)}
      {creating && current && <NewOpportunityModal pipeline={current} onClose={() => setCreating(false)} />}
    </div>
  );
}

/** The requirement error of a move, as the person should read it on the card. */
export function moveError(e: unknown): string {
  if (e instanceof ApiError) {
    // The server's message says what is missing in the reader's language; the field's code would not.
    const fields = Array.from(new Set((e.problem.errors ?? []).map((x) => x.message)));
    return fields.length ? fields.join(' · ') : (e.problem.detail || e.message);
  }
  return errorText(e);
}

function BoardView({ pipeline }: { pipeline: Schemas['PipelineOut'] }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const me = useMe();
  const qc = useQueryClient();
  const { name: userName } = useUserNames();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [over, setOver] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(() => new URLSearchParams(window.location.search).get('open'));
  const columnRefs = useRef<Record<string, HTMLDivElement | null>>({});
  const key = ['opportunities', 'board', pipeline.id];
  const board = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET('/api/v1/opportunities', { params: { query: { view: 'board', pipeline_id: pipeline.id, cards: 50 } } })) as Promise<Board>,
  });
  const move = useMutation({
    mutationFn: ({ opp, stage, lostReason }: { opp: Opp; stage: Stage; lostReason?: string }) => unwrap(api.PATCH('/api/v1/opportunities/{opportunity_id}', {
      params: { path: { opportunity_id: opp.id }, header: { 'If-Match': etagOf(opp.version) } },
      body: { stage_id: stage.id, ...(lostReason ? { lost_reason: lostReason } : {}) },
    })),
    onSuccess: (_, { opp, stage }) => {
      setErrors((e) => { const n = { ...e }; delete n[opp.id]; return n; });
      message.success(t('pipeline.moved', { stage: stage.name }));
      void qc.invalidateQueries({ queryKey: ['opportunities'] });
    },
    onError: (e, { opp }) => setErrors((x) => ({ ...x, [opp.id]: moveError(e) })),
  });
  const writable = can(me.data, 'opportunities:write');
  const chart = useMemo(() => board.data && ({
    tooltip: {}, grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    // Long stage names on a narrow screen: cut to the column's width instead of overlapping.
    xAxis: { type: 'category', data: board.data.columns.map((c) => c.stage.name), axisLabel: { interval: 0, rotate: 30, width: 72, overflow: 'truncate' } },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatMoneyShort(v) } },
    series: [
      { type: 'bar', name: t('common.amount'), data: board.data.columns.map((c) => Number(c.totals[0]?.amount ?? 0)) },
      { type: 'bar', name: t('pipeline.weighted'), data: board.data.columns.map((c) => Number(c.totals[0]?.weighted ?? 0)) },
    ],
  }), [board.data, t]);
  if (board.isPending || board.isError) return <QueryState query={board}>{() => null}</QueryState>;

  const drop = (opp: Opp, stage: Stage) => {
    if (opp.stage_id === stage.id) return;
    if (stage.kind === 'lost') {
      let reason = '';
      modal.confirm({
        title: t('pipeline.lostReason'),
        content: <Input autoFocus onChange={(e) => { reason = e.target.value; }} data-testid="lost-reason" />,
        onOk: () => move.mutateAsync({ opp, stage, lostReason: reason || undefined }).catch(() => undefined),
      });
      return;
    }
    move.mutate({ opp, stage });
  };
  const byId = new Map(board.data.columns.flatMap((c) => c.cards).map((o) => [o.id, o]));
  const stages = board.data.columns.map((c) => c.stage);
  // Arrow keys move a focused card to the neighbouring stage: the board works without a mouse.
  const onCardKey = (e: KeyboardEvent<HTMLElement>, opp: Opp) => {
    if (e.key === 'Enter') { setOpenId(opp.id); return; }
    if (!writable || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return;
    e.preventDefault();
    const at = stages.findIndex((st) => st.id === opp.stage_id);
    const next = stages[at + (e.key === 'ArrowRight' ? 1 : -1)];
    if (next) drop(opp, next);
  };
  const jumpTo = (stageId: string) => columnRefs.current[stageId]?.scrollIntoView({ behavior: 'smooth', inline: 'start', block: 'nearest' });

  return (
    <div>
      {chart && <Card size="small" style={{ marginBottom: 12 }}><LazyChart option={chart} height={200} /></Card>}
      {/* Every stage named above the board, so columns scrolled out of sight (won, lost) are one tap away. */}
      <nav aria-label={t('pipeline.stages')} style={{ display: 'flex', gap: 6, overflowX: 'auto', paddingBottom: 4 }}>
        {board.data.columns.map((col) => (
          <Button key={col.stage.id} size="small" onClick={() => jumpTo(col.stage.id)} data-testid={`jump-${col.stage.key}`}>
            {col.stage.name} · {col.count}
          </Button>
        ))}
      </nav>
      <Typography.Text type="secondary">{writable && t('pipeline.moveHint')}</Typography.Text>
      <div style={{ display: 'flex', gap: 12, overflowX: 'auto', paddingBottom: 12, marginTop: 8, scrollSnapType: 'x proximity' }} data-testid="board">
        {board.data.columns.map((col) => (
          <div key={col.stage.id} data-testid={`column-${col.stage.key}`} ref={(el) => { columnRefs.current[col.stage.id] = el; }}
            role="region" aria-label={col.stage.name}
            onDragOver={(e) => { if (writable) { e.preventDefault(); setOver(col.stage.id); } }}
            onDragLeave={() => setOver((o) => (o === col.stage.id ? null : o))}
            onDrop={(e) => { e.preventDefault(); setOver(null); const o = byId.get(e.dataTransfer.getData('text/plain')); if (o) drop(o, col.stage); }}
            style={{ flex: '0 0 min(260px, 82vw)', scrollSnapAlign: 'start', background: over === col.stage.id ? '#e6f4ff' : '#f5f5f5', borderRadius: 8, padding: 8, minHeight: 300 }}>
            <div style={{ marginBottom: 8 }}>
              <Typography.Text strong>{col.stage.name}</Typography.Text> <Tag>{col.count}</Tag>
              {col.stage.kind === 'won' && <Tag color="green">{t('pipeline.won')}</Tag>}
              {col.stage.kind === 'lost' && <Tag color="red">{t('pipeline.lost')}</Tag>}
              <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {col.totals.map((x) => `${fmtMoney(x.amount, x.currency)} (${t('pipeline.weighted')} ${fmtMoney(x.weighted, x.currency)})`).join(' · ') || '—'}
              </Typography.Text></div>
            </div>
            {col.cards.map((o) => (
              <Card key={o.id} size="small" style={{ marginBottom: 8, cursor: writable ? 'grab' : undefined }} draggable={writable}
                onDragStart={(e) => { e.dataTransfer.setData('text/plain', o.id); e.dataTransfer.effectAllowed = 'move'; }}
                tabIndex={0} onKeyDown={(e) => onCardKey(e, o)} aria-keyshortcuts={writable ? 'ArrowLeft ArrowRight Enter' : 'Enter'}
                aria-label={`${o.name} · ${o.customer_name}`}
                data-testid={`card-${o.number}`}>
                <div style={{ display: 'flex', justifyContent: 'space-between', gap: 4 }}>
                  <Typography.Link strong onClick={() => setOpenId(o.id)} data-testid="open-opportunity">{o.name}</Typography.Link>
                  {writable && (
                    <Dropdown trigger={['click']} menu={{
                      items: stages.filter((st) => st.id !== o.stage_id).map((st) => ({ key: st.id, label: st.name })),
                      onClick: ({ key: stageId }) => { const st = stages.find((x) => x.id === stageId); if (st) drop(o, st); },
                    }}>
                      <Button size="small" type="text" icon={<SwapOutlined />} aria-label={t('pipeline.moveTo')} data-testid="move-card" />
                    </Dropdown>
                  )}
                </div>
                <Link to={`/customers/${o.customer_id}`} style={{ fontSize: 12 }}>{o.customer_name}</Link>
                <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{o.number} · {userName(o.owner_id)}</Typography.Text></div>
                <div>{fmtMoney(o.amount, o.currency)} · {fmtDate(o.expected_close_date)}</div>
                {errors[o.id] && <Alert type="error" showIcon style={{ marginTop: 6, fontSize: 12 }} title={errors[o.id]} data-testid="card-error"
                  closable onClose={() => setErrors((x) => { const n = { ...x }; delete n[o.id]; return n; })} />}
              </Card>
            ))}
          </div>
        ))}
      </div>
      {openId && <OpportunityDrawer id={openId} pipeline={pipeline} writable={writable} onClose={() => setOpenId(null)} />}
    </div>
  );
}

type OppFilter = { stage_id?: string; status?: Schemas['OpportunityStatus']; owner?: string };
/** The sorts GET /opportunities offers. */
const OPP_SORTS = ['amount', 'expected_close_date', 'stage_entered_at', 'created_at', 'updated_at'] as const;

function ListView({ pipeline }: { pipeline: Schemas['PipelineOut'] }) {
  const { t } = useTranslation();
  const label = useLabels();
  const { users, name: userName } = useUserNames();
  const me = useMe();
  const qc = useQueryClient();
  const phone = usePhone();
  const [openId, setOpenId] = useState<string | null>(null);
  const [filter, setFilter] = useState<OppFilter>({});
  const [sort, setSort] = useState<string | undefined>();
  const [selected, setSelected] = useState<Key[]>([]);
  const { settings, save: saveColumns } = useListSettings('opportunity');
  const stages = new Map(pipeline.stages.map((s) => [s.id, s.name]));
  const list = useCursorList<Opp>(['opportunities', 'list', pipeline.id, filter, sort], (cursor) =>
    unwrap(api.GET('/api/v1/opportunities', { params: { query: {
      view: 'list', pipeline_id: pipeline.id, stage_id: filter.stage_id, status: filter.status, owner: filter.owner,
      sort, cursor, limit: 100, with_total: cursor ? undefined : true,
    } } })) as Promise<CursorPage<Opp>>);
  if (list.isError) return <ErrorState error={list.error} />;
  const set = (p: Partial<OppFilter>) => { setFilter((f) => ({ ...f, ...p })); setSelected([]); };
  const first = list.data?.pages[0];
  const viewFilter = compactFilter({ pipeline_id: pipeline.id, stage_id: filter.stage_id, status: filter.status, owner_id: ownerIdOf(filter.owner, me.data?.id) });
  const applyView = (view: Schemas['SegmentOut']) => {
    const f = view.filter as Record<string, string | undefined>;
    // A view of another pipeline's stage would match nothing here: keep only this pipeline's.
    setFilter({ stage_id: f.stage_id && stages.has(f.stage_id) ? f.stage_id : undefined, status: f.status as OppFilter['status'], owner: ownerFromView(f.owner_id, me.data?.id) });
    setSort(view.sort ?? undefined);
    setSelected([]);
    if (view.columns.length) saveColumns.mutate(view.columns);
  };
  const writable = can(me.data, 'opportunities:write');
  const allColumns: KeyedColumn<Opp>[] = [
    { key: 'name', title: t('common.name'), dataIndex: 'name', render: (v, o) => <Typography.Link onClick={() => setOpenId(o.id)}>{v}</Typography.Link> },
    { key: 'customer_name', title: t('pipeline.customer'), dataIndex: 'customer_name', render: (v, o) => <Link to={`/customers/${o.customer_id}`}>{v}</Link> },
    { key: 'stage_id', title: t('pipeline.stage'), dataIndex: 'stage_id', render: (v) => stages.get(v) },
    { key: 'status', title: t('common.status'), dataIndex: 'status', render: (s, o) => <>{label('opportunity_status', s)}{o.lost_reason ? ` — ${o.lost_reason}` : ''}</> },
    { key: 'amount', title: t('common.amount'), dataIndex: 'amount', align: 'right', render: (v, o) => formatMoney(v, o.currency) },
    { key: 'probability', title: t('pipeline.probability'), dataIndex: 'probability', render: (v) => `${v}%` },
    { key: 'expected_close_date', title: t('pipeline.closeDate'), dataIndex: 'expected_close_date', render: formatDate },
    { key: 'stage_entered_at', title: t('listTools.stageEnteredAt'), dataIndex: 'stage_entered_at', render: formatDate },
    { key: 'owner_id', title: t('common.owner'), dataIndex: 'owner_id', render: userName },
    { key: 'updated_at', title: t('listTools.updatedAt'), dataIndex: 'updated_at', render: formatDate },
  ];
  const defaults = ['name', 'customer_name', 'stage_id', 'status', 'amount', 'probability', 'expected_close_date', 'owner_id'];
  const columns = withServerSort(chosenColumns(allColumns, settings.data?.columns, defaults), OPP_SORTS, sort);
  const nameOf = (id: string) => { const o = list.items.find((x) => x.id === id); return o ? `${o.number} ${o.name}` : id.slice(0, 8); };
  return (
    <>
      <Space wrap style={{ marginBottom: 8 }}>
        <Select allowClear placeholder={t('pipeline.stage')} aria-label={t('pipeline.stage')} style={{ width: 140 }} value={filter.stage_id} onChange={(v) => set({ stage_id: v })}
          options={pipeline.stages.map((st) => ({ value: st.id, label: st.name }))} />
        <Select allowClear placeholder={t('common.status')} aria-label={t('common.status')} style={{ width: 110 }} value={filter.status} onChange={(v) => set({ status: v })}
          options={label.options('opportunity_status')} />
        <Select allowClear placeholder={t('common.owner')} aria-label={t('common.owner')} style={{ width: 110 }} value={filter.owner} onChange={(v) => set({ owner: v })}
          options={[{ value: 'me', label: t('common.me') }, ...(filter.owner && filter.owner !== 'me' ? [{ value: filter.owner, label: userName(filter.owner) }] : [])]} />
        {phone && <SortSelect sortable={OPP_SORTS} value={sort} onChange={setSort} titleOf={(f) => allColumns.find((c) => c.key === f)?.title as ReactNode} />}
        <SavedViews object="opportunity" current={{ filter: viewFilter, sort, columns: columns.map((c) => c.key) }} onApply={applyView} />
        {!phone && <ColumnChooser object="opportunity" columns={allColumns} defaults={defaults} />}
        <ServerExportButton object="opportunity" filter={viewFilter} />
      </Space>
      {writable && (
        <BulkBar selected={selected} nameOf={nameOf} onClear={() => setSelected([])}
          onDone={() => { setSelected([]); void qc.invalidateQueries({ queryKey: ['opportunities'] }); }}
          actions={[
            {
              key: 'stage', label: t('listTools.changeStage'),
              pick: { placeholder: t('listTools.newStage'), options: pipeline.stages.map((st) => ({ value: st.id, label: st.name })) },
              reasonFor: pipeline.stages.filter((st) => st.kind === 'lost').map((st) => st.id),
              run: (ids, stageId, reason) => unwrap(api.POST('/api/v1/opportunities/bulk-update', { body: { ids, stage_id: stageId, lost_reason: reason ?? null } })),
            },
            {
              key: 'reassign', label: t('listTools.reassign'), pick: { placeholder: t('listTools.newOwner'), options: assignableOwners(users) },
              run: (ids, owner) => unwrap(api.POST('/api/v1/opportunities/bulk-update', { body: { ids, owner_id: owner } })),
            },
          ]} />
      )}
      <RecordList<Opp> rowKey="id" size="middle" dataSource={list.items} loading={list.isPending} pagination={false} locale={{ emptyText: t('common.empty') }}
        data-testid="opportunities-table"
        total={first?.total} totalIsLowerBound={!!first?.total_is_lower_bound}
        rowSelection={writable ? { selectedRowKeys: selected, onChange: setSelected } : undefined}
        onChange={(_, __, sorter) => setSort(sortFromTable(sorter))}
        onRowClick={phone ? (o) => setOpenId(o.id) : undefined}
        card={(o) => (
          <div data-testid="opportunity-card">
            <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
              <Typography.Text strong ellipsis>{o.name}</Typography.Text>
              <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>{formatMoney(o.amount, o.currency)}</Typography.Text>
            </div>
            <Typography.Text type="secondary" ellipsis style={{ display: 'block' }}>{o.customer_name}</Typography.Text>
            <div>{stages.get(o.stage_id)} · {label('opportunity_status', o.status)} · {userName(o.owner_id)}</div>
            <div><Typography.Text type="secondary">{formatDate(o.expected_close_date)}</Typography.Text></div>
          </div>
        )}
        columns={columns} />
      {list.hasNextPage && <Button block style={{ marginTop: 12 }} onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
      {openId && <OpportunityDrawer id={openId} pipeline={pipeline} writable={writable} onClose={() => setOpenId(null)} />}
    </>
  );
}

function NewOpportunityModal({ pipeline, onClose }: { pipeline: Schemas['PipelineOut']; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const customers = useQuery({
    queryKey: ['customers', 'pick', q],
    queryFn: () => unwrap(api.GET('/api/v1/customers', { params: { query: { q: q || undefined, limit: 20 } } })),
  });
  const [form] = Form.useForm<{ customer_id: string; name?: string; amount?: string; expected_close_date?: Dayjs }>();
  const create = useMutation({
    mutationFn: (v: { customer_id: string; name?: string; amount?: string; expected_close_date?: Dayjs }) => unwrap(api.POST('/api/v1/opportunities', {
      body: { customer_id: v.customer_id, name: v.name || null, amount: v.amount ?? null, pipeline_id: pipeline.id,
        expected_close_date: v.expected_close_date ? v.expected_close_date.format('YYYY-MM-DD') : null } })),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['opportunities'] }); onClose(); },
  });
  return (
    <Modal open title={t('pipeline.newOpp')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={create.isPending}>
      <InlineError error={create.error} />
      <Form form={form} layout="vertical" onFinish={(v) => create.mutate(v)}>
        <Form.Item name="customer_id" label={t('pipeline.customer')} rules={[{ required: true }]}>
          <Select showSearch filterOption={false} onSearch={setQ} loading={customers.isFetching}
            options={((customers.data?.items ?? []) as Schemas['CustomerOut'][]).map((c) => ({ value: c.id, label: c.name }))} />
        </Form.Item>
        <Form.Item name="name" label={t('common.name')}><Input /></Form.Item>
        <Space wrap>
          <Form.Item name="amount" label={t('common.amount')}><InputNumber min={0} stringMode style={{ width: 180 }} /></Form.Item>
          <Form.Item name="expected_close_date" label={t('pipeline.closeDate')}><DatePicker /></Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}
