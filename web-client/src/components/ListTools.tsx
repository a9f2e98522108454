/**
 * Tools every record list shares: server-side sorting, a per-user column choice, saved views,
 * a bar of actions on the selected rows and an export of the whole filtered set.
 *
 * The server owns order, columns and exports: a list sorted in the browser would only order the
 * page already loaded, and an export of loaded rows would silently miss the rest. So sorting
 * sends `sort=`, the column choice is saved per user (list-settings) and exports are server jobs.
 */
import { CheckOutlined, DeleteOutlined, DownloadOutlined, EyeOutlined, SettingOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert, App, Button, Checkbox, Dropdown, Grid, Input, Modal, Popover, Radio, Select, Space, Typography,
} from 'antd';
import type { SorterResult } from 'antd/es/table/interface';
import type { ColumnType } from 'antd/es/table';
import dayjs from 'dayjs';
import { useState, type Key, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, download, etagOf, unwrap, type Schemas } from '../api/client';
import { errorText } from './States';

export type ListObject = 'customer' | 'lead' | 'opportunity' | 'contract';
type BulkOut = Schemas['BulkOut'];
type Segment = Schemas['SegmentOut'];

/** A table column with the stable key it is saved under (the list item's field name). */
export type KeyedColumn<T> = ColumnType<T> & { key: string };

// ---------------------------------------------------------------------------------------------
// Sorting

/** `-amount` → { field: 'amount', order: 'descend' }. */
export function parseSort(sort: string | null | undefined): { field: string; order: 'ascend' | 'descend' } | null {
  if (!sort) return null;
  return sort.startsWith('-') ? { field: sort.slice(1), order: 'descend' } : { field: sort, order: 'ascend' };
}

/** What antd's table reports on a header click, as the server's `sort` (undefined: its default). */
export function sortFromTable<T>(sorter: SorterResult<T> | SorterResult<T>[]): string | undefined {
  const one = Array.isArray(sorter) ? sorter[0] : sorter;
  if (!one?.order || one.columnKey === undefined) return undefined;
  return `${one.order === 'descend' ? '-' : ''}${String(one.columnKey)}`;
}

/**
 * Marks the columns the server can sort by as sortable (controlled by `sort`), leaving the
 * others plain: a header that sorts only in the browser would lie about a paged list.
 */
export function withServerSort<T>(columns: KeyedColumn<T>[], sortable: readonly string[], sort: string | undefined): KeyedColumn<T>[] {
  const current = parseSort(sort);
  return columns.map((col) => (sortable.includes(col.key)
    ? { ...col, sorter: true, sortDirections: ['descend', 'ascend'], sortOrder: current?.field === col.key ? current.order : null }
    : col));
}

/** On a phone the headers are gone: the same sorts as a select. */
export function SortSelect({ sortable, value, onChange, titleOf }: {
  sortable: readonly string[]; value: string | undefined; onChange: (sort: string | undefined) => void; titleOf: (field: string) => ReactNode;
}) {
  const { t } = useTranslation();
  const options = sortable.flatMap((field) => [
    { value: `-${field}`, label: <>{titleOf(field)} {t('listTools.descending')}</> },
    { value: field, label: <>{titleOf(field)} {t('listTools.ascending')}</> },
  ]);
  return (
    <Select allowClear placeholder={t('listTools.sort')} aria-label={t('listTools.sort')} style={{ width: 160 }}
      value={value} onChange={(v) => onChange(v ?? undefined)} options={options} data-testid="sort-select" />
  );
}

// ---------------------------------------------------------------------------------------------
// Columns chosen per user

/**
 * The caller's saved columns for a list. Until the first save the server answers version 0 and
 * no columns: the page's own default applies, and the first PUT sends If-Match "0".
 */
export function useListSettings(object: ListObject) {
  const qc = useQueryClient();
  const key = ['list-settings', object];
  const settings = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET('/api/v1/me/list-settings/{object}', { params: { path: { object } } })),
    staleTime: 5 * 60_000,
  });
  const save = useMutation({
    mutationFn: (columns: string[]) => unwrap(api.PUT('/api/v1/me/list-settings/{object}', {
      params: { path: { object }, header: { 'If-Match': etagOf(settings.data?.version ?? 0) } },
      body: { columns, sort: settings.data?.sort ?? null },
    })),
    onSuccess: (saved) => qc.setQueryData(key, saved),
    // Saved from another tab meanwhile: read the new version so the next save goes through.
    onError: () => { void qc.invalidateQueries({ queryKey: key }); },
  });
  return { settings, save };
}

/** The columns to show: the saved choice in the page's order, else the page's default. */
export function chosenColumns<T>(columns: KeyedColumn<T>[], saved: readonly string[] | undefined, defaults?: readonly string[]): KeyedColumn<T>[] {
  const keys = saved?.length ? saved : defaults;
  if (!keys?.length) return columns;
  const shown = columns.filter((col) => keys.includes(col.key));
  return shown.length ? shown : columns;
}

/** A checkbox list of the list's columns; each change is saved for the signed-in user. */
export function ColumnChooser<T>({ object, columns, defaults }: { object: ListObject; columns: KeyedColumn<T>[]; defaults?: readonly string[] }) {
  const { t } = useTranslation();
  const { settings, save } = useListSettings(object);
  const shown = chosenColumns(columns, settings.data?.columns, defaults).map((col) => col.key);
  const toggle = (key: string, on: boolean) => {
    const next = columns.map((col) => col.key).filter((k) => (k === key ? on : shown.includes(k)));
    if (next.length) save.mutate(next);
  };
  const content = (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 4, maxHeight: 320, overflowY: 'auto' }} data-testid="column-chooser">
      {columns.map((col) => (
        <Checkbox key={col.key} checked={shown.includes(col.key)} disabled={save.isPending || (shown.length === 1 && shown.includes(col.key))}
          onChange={(e) => toggle(col.key, e.target.checked)}>
          {col.title as ReactNode}
        </Checkbox>
      ))}
      {save.isError && <Typography.Text type="danger">{errorText(save.error)}</Typography.Text>}
    </div>
  );
  return (
    <Popover trigger="click" placement="bottomRight" title={t('listTools.columns')} content={content}>
      <Button icon={<SettingOutlined />} aria-label={t('listTools.columns')} data-testid="columns-button">{t('listTools.columns')}</Button>
    </Popover>
  );
}

// ---------------------------------------------------------------------------------------------
// Saved views

export interface ViewState { filter: Record<string, unknown>; sort?: string; columns: string[] }

/** The saved views of one list (mine and my department's), to open or to save the current one as. */
export function SavedViews({ object, current, onApply }: { object: ListObject; current: ViewState; onApply: (view: Segment) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState('');
  const [sharing, setSharing] = useState<Schemas['SegmentSharing']>('private');
  const views = useQuery({
    queryKey: ['segments', object],
    queryFn: () => unwrap(api.GET('/api/v1/segments', { params: { query: { object, limit: 100 } } })),
  });
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/segments', { body: {
      name: name.trim(), object, filter: current.filter, sort: current.sort ?? null, columns: current.columns, sharing,
    } })),
    onSuccess: (view) => {
      message.success(t('listTools.viewSaved', { name: view.name }));
      void qc.invalidateQueries({ queryKey: ['segments', object] });
      setSaving(false);
      setName('');
    },
  });
  const items = views.data?.items ?? [];
  return (
    <>
      <Dropdown trigger={['click']} menu={{
        items: [
          ...items.map((v) => ({ key: v.id, label: <>{v.name}{v.sharing === 'department' ? <Typography.Text type="secondary"> · {t('listTools.shared')}</Typography.Text> : null}</> })),
          ...(items.length ? [{ type: 'divider' as const }] : []),
          { key: '__save', label: t('listTools.saveView'), icon: <CheckOutlined /> },
        ],
        onClick: ({ key }) => {
          if (key === '__save') { setSaving(true); return; }
          const view = items.find((v) => v.id === key);
          if (view) onApply(view);
        },
      }}>
        <Button icon={<EyeOutlined />} data-testid="views-button">{t('listTools.views')}</Button>
      </Dropdown>
      {saving && (
        <Modal open title={t('listTools.saveView')} onCancel={() => setSaving(false)} okText={t('common.save')}
          onOk={() => create.mutate()} okButtonProps={{ disabled: !name.trim(), loading: create.isPending }}>
          {create.isError && <Alert type="error" showIcon style={{ marginBottom: 8 }} title={errorText(create.error)} />}
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Input autoFocus maxLength={100} placeholder={t('listTools.viewName')} aria-label={t('listTools.viewName')} value={name} onChange={(e) => setName(e.target.value)} />
            <Radio.Group value={sharing} onChange={(e) => setSharing(e.target.value)}
              options={[{ value: 'private', label: t('listTools.private') }, { value: 'department', label: t('listTools.department') }]} />
          </Space>
        </Modal>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Bulk actions

export interface BulkAction {
  key: string;
  label: string;
  danger?: boolean;
  /** Ask for one value (an owner, a stage) before running. */
  pick?: { placeholder: string; options: { value: string; label: string }[] };
  /** Ask for a reason too when the picked value is one of these (a move to a lost stage). */
  reasonFor?: string[];
  /** Ask "are you sure" with this text before running. */
  confirm?: string;
  run: (ids: string[], value?: string, reason?: string) => Promise<BulkOut>;
}

/**
 * What a bulk action did, in words: how many went through and, for each refused record, its
 * name and the server's reason, so the person knows which ones to look at.
 */
export function BulkReport({ result, nameOf, onClose }: { result: BulkOut; nameOf: (id: string) => string; onClose: () => void }) {
  const { t } = useTranslation();
  const failed = result.items.filter((item) => !item.ok);
  return (
    <Alert type={failed.length ? 'warning' : 'success'} showIcon closable onClose={onClose} style={{ marginBottom: 8 }} data-testid="bulk-report"
      title={failed.length ? t('listTools.bulkPartly', { ok: result.succeeded, failed: result.failed }) : t('listTools.bulkDone', { ok: result.succeeded })}
      description={failed.length ? (
        <ul style={{ margin: 0, paddingInlineStart: 18 }}>
          {failed.map((item) => <li key={item.id}>{nameOf(item.id)}: {item.error || t('listTools.refused')}</li>)}
        </ul>
      ) : undefined} />
  );
}

/** Shown while rows are selected: how many, and what can be done to all of them at once. */
export function BulkBar({ selected, actions, nameOf, onClear, onDone }: {
  selected: Key[]; actions: BulkAction[]; nameOf: (id: string) => string; onClear: () => void; onDone: () => void;
}) {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  const [asking, setAsking] = useState<BulkAction | null>(null);
  const [value, setValue] = useState<string | undefined>();
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<BulkOut | null>(null);
  const run = useMutation({
    mutationFn: ({ action, picked, why }: { action: BulkAction; picked?: string; why?: string }) => action.run(selected.map(String), picked, why),
    onSuccess: (out) => { setResult(out); setAsking(null); onDone(); },
  });
  const start = (action: BulkAction) => {
    run.reset();
    setResult(null);
    if (action.pick) { setValue(undefined); setReason(''); setAsking(action); return; }
    if (action.confirm) {
      modal.confirm({ title: action.confirm, okButtonProps: { danger: action.danger }, onOk: () => run.mutateAsync({ action }).catch(() => undefined) });
      return;
    }
    run.mutate({ action });
  };
  const needsReason = !!(asking?.reasonFor && value && asking.reasonFor.includes(value));
  return (
    <>
      {result && <BulkReport result={result} nameOf={nameOf} onClose={() => setResult(null)} />}
      {run.isError && !asking && <Alert type="error" showIcon closable style={{ marginBottom: 8 }} title={errorText(run.error)} />}
      {selected.length > 0 && (
        <div role="toolbar" aria-label={t('listTools.bulkBar')} data-testid="bulk-bar"
          style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 8, padding: 8, marginBottom: 8, background: '#e6f4ff', borderRadius: 8 }}>
          <Typography.Text strong>{t('listTools.selected', { n: selected.length })}</Typography.Text>
          {actions.map((action) => (
            <Button key={action.key} size="small" danger={action.danger} icon={action.danger ? <DeleteOutlined /> : undefined}
              loading={run.isPending && run.variables?.action.key === action.key} onClick={() => start(action)} data-testid={`bulk-${action.key}`}>
              {action.label}
            </Button>
          ))}
          <Button size="small" type="link" onClick={onClear}>{t('listTools.clearSelection')}</Button>
        </div>
      )}
      {asking?.pick && (
        <Modal open title={asking.label} onCancel={() => setAsking(null)} okText={t('common.submit')}
          okButtonProps={{ disabled: !value || (needsReason && !reason.trim()), loading: run.isPending }}
          onOk={() => run.mutate({ action: asking, picked: value, why: needsReason ? reason.trim() : undefined })}>
          {run.isError && <Alert type="error" showIcon style={{ marginBottom: 8 }} title={errorText(run.error)} />}
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Typography.Text>{t('listTools.appliesTo', { n: selected.length })}</Typography.Text>
            <Select showSearch={{ optionFilterProp: 'label' }} style={{ width: '100%' }} placeholder={asking.pick.placeholder} aria-label={asking.pick.placeholder}
              value={value} onChange={setValue} options={asking.pick.options} data-testid="bulk-pick" />
            {needsReason && <Input maxLength={500} placeholder={t('listTools.lostReason')} aria-label={t('listTools.lostReason')} value={reason} onChange={(e) => setReason(e.target.value)} />}
          </Space>
        </Modal>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Export of the whole filtered set

/**
 * Exports every record the filter matches (not just the loaded rows) as a server job, in the
 * UI's language (the client sends Accept-Language), polled until the file can be downloaded.
 */
export function ServerExportButton({ object, filter }: { object: ListObject; filter: Record<string, unknown> }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const run = async (format: Schemas['ExportFormat']) => {
    setBusy(true);
    try {
      let job = await unwrap(api.POST('/api/v1/exports', { body: { object, format, filter } }));
      message.info(t('common.exportStarted'));
      for (let i = 0; i < 600 && (job.status === 'pending' || job.status === 'running'); i++) {
        await new Promise((r) => setTimeout(r, 1000));
        job = await unwrap(api.GET('/api/v1/exports/{export_id}', { params: { path: { export_id: job.id } } }));
      }
      if (job.status !== 'done') throw new Error(job.error || t('listTools.exportFailed'));
      message.success(t('common.exportReady'));
      await download(`/api/v1/exports/${job.id}/download`, `${object}s-${dayjs().format('YYYYMMDD-HHmm')}.${format}`);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dropdown trigger={['click']} disabled={busy} menu={{
      items: [{ key: 'csv', label: t('listTools.csv') }, { key: 'xlsx', label: t('listTools.xlsx') }],
      onClick: ({ key }) => { void run(key as Schemas['ExportFormat']); },
    }}>
      <Button icon={<DownloadOutlined />} loading={busy} data-testid="export">{t('common.export')}</Button>
    </Dropdown>
  );
}

/** Whether the screen is phone-sized (the same break RecordList switches to cards at). */
export function usePhone(): boolean {
  return Grid.useBreakpoint().md === false;
}

/** Drops empty values so a filter saved or exported holds only what was chosen. */
export function compactFilter(filter: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)));
}

/** The people a record may be handed to: active reps and managers. */
export function assignableOwners(users: readonly Schemas['DirectoryEntry'][]): { value: string; label: string }[] {
  return users.filter((u) => u.is_active && ['sales_rep', 'manager'].includes(u.role)).map((u) => ({ value: u.id, label: u.name }));
}

/** The owner filter of a page ('me' or an id) in the saved/exported filter language (an id). */
export function ownerIdOf(owner: string | undefined, myId: string | undefined): string | undefined {
  return owner === 'me' ? myId : owner;
}

/** …and back: a view saved with my id shows as "Me" in the owner select. */
export function ownerFromView(ownerId: unknown, myId: string | undefined): string | undefined {
  if (typeof ownerId !== 'string' || !ownerId) return undefined;
  return ownerId === myId ? 'me' : ownerId;
}
