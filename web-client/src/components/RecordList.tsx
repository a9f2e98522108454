/**
 * One list, two layouts: an Ant Design table on screens 768 px and wider, and a column of
 * tappable cards below that, so a phone shows each record's key facts without scrolling
 * sideways. Pages give the table's columns and a `card` renderer for the same row.
 */
import { Card, Checkbox, Empty, Grid, Pagination, Spin, Table, Typography } from 'antd';
import type { TableProps } from 'antd';
import type { ColumnsType, TablePaginationConfig } from 'antd/es/table';
import { useLayoutEffect, useRef, useState, type Key, type KeyboardEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatCount } from '../i18n/format';

export interface RecordListProps<T> extends Omit<TableProps<T>, 'columns' | 'dataSource' | 'rowKey' | 'footer' | 'pagination'> {
  columns: ColumnsType<T>;
  dataSource: readonly T[] | undefined;
  rowKey: string | ((row: T) => Key);
  /** What a phone shows for one row: name, owner, status, amount, next step. */
  card: (row: T) => ReactNode;
  onRowClick?: (row: T) => void;
  pagination?: TablePaginationConfig | false;
  footer?: (rows: readonly T[]) => ReactNode;
  /** How many records match; null or absent hides the line. */
  total?: number | null;
  /** The server stopped counting at `total` (shown as "10,000+"). */
  totalIsLowerBound?: boolean;
}

function keyOf<T>(row: T, rowKey: RecordListProps<T>['rowKey']): Key {
  return typeof rowKey === 'function' ? rowKey(row) : (row as Record<string, Key>)[rowKey];
}

export function RecordTotal({ total, lowerBound }: { total: number | null | undefined; lowerBound?: boolean }) {
  const { t } = useTranslation();
  if (total === null || total === undefined) return null;
  const n = `${formatCount(total)}${lowerBound ? '+' : ''}`;
  return (
    <Typography.Text type="secondary" data-testid="record-total" style={{ display: 'block', marginBottom: 8 }}>
      {t('list.total', { count: lowerBound ? Math.max(total, 2) : total, n })}
    </Typography.Text>
  );
}

/**
 * A card that opens its record on a tap. It is a button for the keyboard too, unless it holds
 * links or controls of its own (a name link, a checkbox): a button may not contain those, and
 * they already give the keyboard a way in.
 */
function TappableCard({ onOpen, children }: { onOpen?: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [nested, setNested] = useState(true);
  useLayoutEffect(() => {
    setNested(!!ref.current?.querySelector('a[href], button, input, select, textarea, [tabindex]'));
  });
  const asButton = !!onOpen && !nested;
  return (
    <Card ref={ref} size="small" style={{ minHeight: 44, cursor: onOpen ? 'pointer' : undefined }} hoverable={!!onOpen}
      onClick={onOpen}
      {...(asButton ? {
        role: 'button', tabIndex: 0,
        onKeyDown: (e: KeyboardEvent) => {
          if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen?.(); }
        },
      } : {})}>
      {children}
    </Card>
  );
}

export function RecordList<T extends object>({
  columns, dataSource, rowKey, card, onRowClick, pagination, footer, total, totalIsLowerBound, loading, onRow, ...tableProps
}: RecordListProps<T>) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  // useBreakpoint is empty on the first render: stay on the table until the width is known.
  const phone = screens.md === false;
  const rows = dataSource ?? [];

  if (phone) {
    const open = onRowClick;
    // A table's row selection becomes a checkbox on each card, so bulk actions work on a phone.
    const selection = tableProps.rowSelection;
    const picked = new Set(selection?.selectedRowKeys ?? []);
    const pick = (row: T, on: boolean) => {
      const key = keyOf(row, rowKey);
      const keys = on ? [...picked, key] : [...picked].filter((k) => k !== key);
      const chosen = rows.filter((r) => keys.includes(keyOf(r, rowKey)));
      selection?.onChange?.(keys, chosen as T[], { type: 'multiple' });
    };
    return (
      <div data-testid="record-cards">
        <RecordTotal total={total} lowerBound={totalIsLowerBound} />
        <Spin spinning={!!(typeof loading === 'object' ? loading.spinning : loading)}>
          {rows.length === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} /> : (
            <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
              {rows.map((row) => (
                <TappableCard key={keyOf(row, rowKey)} onOpen={open ? () => open(row) : undefined}>
                  {selection ? (
                    <div style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
                      <span onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
                        <Checkbox checked={picked.has(keyOf(row, rowKey))} onChange={(e) => pick(row, e.target.checked)} aria-label={t('listTools.selectRow')} style={{ padding: 4 }} />
                      </span>
                      <div style={{ flex: 1, minWidth: 0 }}>{card(row)}</div>
                    </div>
                  ) : card(row)}
                </TappableCard>
              ))}
            </div>
          )}
        </Spin>
        {pagination && (
          <Pagination size="small" simple align="center" style={{ marginTop: 8 }} {...pagination} />
        )}
        {footer && <div style={{ marginTop: 8 }}>{footer(rows)}</div>}
      </div>
    );
  }

  return (
    <div data-testid="record-table">
      <RecordTotal total={total} lowerBound={totalIsLowerBound} />
      <Table<T>
        columns={columns}
        dataSource={rows as T[]}
        rowKey={rowKey as TableProps<T>['rowKey']}
        loading={loading}
        pagination={pagination ?? false}
        footer={footer ? (data) => footer(data) : undefined}
        onRow={(row, index) => {
          const given = onRow?.(row, index) ?? {};
          if (!onRowClick) return given;
          return {
            ...given,
            style: { cursor: 'pointer', ...given.style },
            onClick: (e) => { given.onClick?.(e); onRowClick(row); },
          };
        }}
        scroll={{ x: 'max-content' }}
        {...tableProps}
      />
    </div>
  );
}
