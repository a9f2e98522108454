import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import {
  Alert, Button, Card, Descriptions, Progress, Radio, Result, Select, Space, Statistic, Steps, Table, Typography, Upload,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { authFetch } from '../api/auth';
import { api, ApiError, download, toProblem, unwrap, type Schemas } from '../api/client';
import { InlineError } from '../components/States';
import { can, useMe } from '../app/session';
import { ForbiddenPage } from '../components/States';
import { formatDateTime } from '../i18n/format';
import { useLabels } from '../i18n/labels';

type Import = Schemas['ImportOut'];
const FIELDS = ['name', 'kind', 'contact', 'title', 'mobile', 'landline', 'email', 'industry', 'region', 'owner', 'tags', 'source', 'annual_purchase', 'key_needs', 'size', 'grade'];

async function upload(file: File, opts: { target: string; policy: string; mapping?: Record<string, string> }): Promise<Import> {
  const form = new FormData();
  form.append('file', file);
  form.append('dry_run', 'true');
  form.append('target', opts.target);
  form.append('policy', opts.policy);
  if (opts.mapping) form.append('mapping', JSON.stringify(opts.mapping));
  const res = await authFetch(new Request(new URL('/api/v1/imports', location.origin), { method: 'POST', body: form }));
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, toProblem(body, res.status));
  return body as Import;
}

const finished = (i: Import) => i.status === 'done' || i.status === 'failed' || i.status === 'previewed';

function useImport(id: string | null, phase: 'dry' | 'run') {
  return useQuery({
    queryKey: ['import', phase, id],
    enabled: !!id,
    queryFn: () => unwrap(api.GET('/api/v1/imports/{import_id}', { params: { path: { import_id: id! } } })),
    refetchInterval: (q) => (q.state.data && finished(q.state.data) ? false : 500),
  });
}

/** The import's own facts in words: what it went into, how duplicates were treated, where it stands. */
function Summary({ imp }: { imp: Import }) {
  const { t } = useTranslation();
  const label = useLabels();
  return (
    <Descriptions size="small" column={{ xs: 1, sm: 2, md: 3 }} data-testid="import-summary">
      <Descriptions.Item label={t('importsUi.file')}><span style={{ wordBreak: 'break-all' }}>{imp.filename}</span></Descriptions.Item>
      <Descriptions.Item label={t('imports.target')}>{label('import_target', imp.target)}</Descriptions.Item>
      <Descriptions.Item label={t('imports.policy')}>{label('import_policy', imp.policy)}</Descriptions.Item>
      <Descriptions.Item label={t('common.status')}><span data-testid="import-status">{label('import_status', imp.status)}</span></Descriptions.Item>
      <Descriptions.Item label={t('importsUi.startedAt')}>{formatDateTime(imp.created_at)}</Descriptions.Item>
      {imp.finished_at && <Descriptions.Item label={t('importsUi.finishedAt')}>{formatDateTime(imp.finished_at)}</Descriptions.Item>}
    </Descriptions>
  );
}

function Counts({ imp }: { imp: Import }) {
  const { t } = useTranslation();
  return (
    <Space wrap size="large" data-testid="import-counts">
      <Statistic title={t('imports.rows')} value={imp.rows_total} />
      <Statistic title={t('imports.created')} value={imp.created} />
      <Statistic title={t('imports.updated')} value={imp.updated} />
      <Statistic title={t('imports.merged')} value={imp.merged} />
      <Statistic title={t('imports.skipped')} value={imp.skipped} />
      <Statistic title={t('imports.rejected')} value={imp.rejected} valueStyle={imp.rejected ? { color: '#cf1322' } : undefined} />
    </Space>
  );
}

function ErrorRows({ imp }: { imp: Import }) {
  const { t } = useTranslation();
  const [err, setErr] = useState<unknown>(null);
  if (!imp.rejected && !imp.skipped) return null;
  return (
    <>
      <InlineError error={err} />
      <Button icon={<DownloadOutlined />} onClick={() => download(`/api/v1/imports/${imp.id}/errors`, `import-${imp.id}-errors.csv`).catch(setErr)} data-testid="error-rows">{t('imports.errors')}</Button>
    </>
  );
}

export default function ImportPage() {
  const { t } = useTranslation();
  const label = useLabels();
  const me = useMe();
  const [file, setFile] = useState<File | null>(null);
  const [target, setTarget] = useState<'customers' | 'leads'>('customers');
  const [policy, setPolicy] = useState<Schemas['Policy']>('skip');
  const [mapping, setMapping] = useState<Record<string, string> | null>(null);
  const [dryId, setDryId] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const dry = useImport(dryId, 'dry');
  const run = useImport(runId, 'run');
  if (!can(me.data, 'customers:write')) return <ForbiddenPage />;

  const step = runId ? 2 : dry.data?.status === 'previewed' ? 1 : 0;
  const check = async (withMapping?: Record<string, string>) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const imp = await upload(file, { target, policy, mapping: withMapping });
      setDryId(imp.id);
      setMapping(withMapping ?? null);
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const imp = await unwrap(api.POST('/api/v1/imports/{import_id}/start', { params: { path: { import_id: dryId! } } }));
      setRunId(imp.id);
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const reset = () => { setFile(null); setDryId(null); setRunId(null); setMapping(null); setError(null); };
  const shownMapping = mapping ?? dry.data?.mapping ?? {};

  return (
    <div>
      <Typography.Title level={3}>{t('imports.title')}</Typography.Title>
      <Steps current={step} style={{ marginBottom: 24 }} responsive items={[{ title: t('imports.upload') }, { title: `${t('imports.map')} / ${t('imports.preview')}` }, { title: t('imports.run') }]} />
      <InlineError error={error} />
      {step === 0 && (
        <Card>
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Upload.Dragger accept=".csv,.xlsx" maxCount={1} beforeUpload={(f) => { setFile(f); setDryId(null); return false; }}
              onRemove={() => setFile(null)} fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []} data-testid="import-file">
              <p className="ant-upload-drag-icon"><InboxOutlined /></p>
              <p>{t('imports.pickFile')}</p>
            </Upload.Dragger>
            <Space wrap>
              <span id="import-target-label">{t('imports.target')}</span>
              <Radio.Group value={target} onChange={(e) => setTarget(e.target.value)} aria-labelledby="import-target-label"
                options={label.options('import_target', ['customers', 'leads'])} />
            </Space>
            <Space wrap>
              <span id="import-policy-label">{t('imports.policy')}</span>
              <Select value={policy} onChange={setPolicy} style={{ minWidth: 160 }} aria-labelledby="import-policy-label" data-testid="import-policy"
                options={label.options('import_policy', ['skip', 'update', 'merge', 'create'])} />
              <Typography.Text type="secondary">{t('importsUi.policyHelp')}</Typography.Text>
            </Space>
            {dry.data?.status === 'failed' && <Alert type="error" showIcon title={dry.data.error} />}
            <Button type="primary" disabled={!file} loading={busy || (!!dryId && dry.data !== undefined && !finished(dry.data))} onClick={() => check()} data-testid="dry-run">{t('imports.dryRun')}</Button>
          </Space>
        </Card>
      )}
      {step === 1 && dry.data && (
        <Card>
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Summary imp={dry.data} />
            <Counts imp={dry.data} />
            <ErrorRows imp={dry.data} />
            <Table size="small" rowKey="column" pagination={false} scroll={{ x: 'max-content' }}
              dataSource={Object.entries(shownMapping).map(([column, field]) => ({ column, field }))}
              columns={[
                { title: t('imports.column'), dataIndex: 'column' },
                { title: t('imports.field'), dataIndex: 'field', render: (f, r) => (
                  <Select style={{ width: 180, maxWidth: '100%' }} value={f} onChange={(v) => setMapping({ ...shownMapping, [r.column]: v })}
                    aria-label={t('importsUi.fieldFor', { column: r.column })}
                    options={[{ value: 'ignore', label: t('imports.ignore') }, ...FIELDS.map((x) => ({ value: x, label: t(`importsUi.fields.${x}`) })),
                      ...(f.startsWith('custom.') ? [{ value: f, label: f }] : [])]} />
                ) },
              ]} />
            <Space wrap>
              <Button onClick={() => check(shownMapping)} loading={busy}>{t('imports.dryRun')}</Button>
              <Button type="primary" onClick={start} loading={busy} disabled={mapping !== null && JSON.stringify(mapping) !== JSON.stringify(dry.data.mapping)} data-testid="start-import">{t('imports.start')}</Button>
              <Button onClick={reset}>{t('common.reset')}</Button>
            </Space>
          </Space>
        </Card>
      )}
      {step === 2 && (
        <Card>
          {run.data ? (
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Progress percent={Math.round(run.data.progress * 100)} status={run.data.status === 'failed' ? 'exception' : run.data.status === 'done' ? 'success' : 'active'} data-testid="import-progress" />
              <Summary imp={run.data} />
              <Counts imp={run.data} />
              {run.data.status === 'failed' && <Alert type="error" showIcon title={run.data.error} />}
              {finished(run.data) && (
                <Result status={run.data.status === 'done' ? 'success' : 'error'} title={t('imports.finished')}
                  extra={<Space wrap><ErrorRows imp={run.data} /><Button onClick={reset}>{t('imports.another')}</Button></Space>} />
              )}
            </Space>
          ) : <Progress percent={0} status="active" />}
        </Card>
      )}
    </div>
  );
}
