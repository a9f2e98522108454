import { Button, Card, Input, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Schemas } from '../../api/client';
import { useCursorList } from '../../api/hooks';
import { fmtTime } from '../../components/bits';
import { ErrorState } from '../../components/States';

export function Audit() {
  const { t } = useTranslation();
  const [action, setAction] = useState('');
  const list = useCursorList<Schemas['AuditEntryOut']>(['audit', action], (cursor) => unwrap(api.GET('/api/v1/audit-log', { params: { query: { action: action || undefined, cursor, limit: 100 } } })));
  if (list.isError) return <ErrorState error={list.error} />;
  return (
    <Card size="small">
      <Input.Search allowClear placeholder="action" style={{ width: 240, marginBottom: 12 }} onSearch={setAction} />
      <Table rowKey="id" size="small" pagination={false} dataSource={list.items} loading={list.isPending} scroll={{ x: 'max-content' }} columns={[
        { title: 'at', dataIndex: 'at', render: fmtTime },
        { title: 'actor', dataIndex: 'actor_label' },
        { title: 'ip', dataIndex: 'ip' },
        { title: 'action', dataIndex: 'action' },
        { title: 'target', render: (_, e) => `${e.target_type ?? ''} ${e.target_id?.slice(0, 8) ?? ''}` },
        { title: 'diff', dataIndex: 'diff', render: (d) => <Typography.Text code style={{ fontSize: 11 }}>{JSON.stringify(d).slice(0, 160)}</Typography.Text> },
      ]} />
      {list.hasNextPage && <Button block onClick={() => list.fetchNextPage()}>{t('common.more')}</Button>}
    </Card>
  );
}
