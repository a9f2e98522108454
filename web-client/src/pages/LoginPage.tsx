import { Alert, Button, Card, Form, Input, Select } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { getTokens, setTokens, type Tokens } from '../api/auth';
import { ApiError, toProblem } from '../api/client';
import { setLang, type Lang } from '../i18n';
import { queryClient } from '../app/queryClient';

/** POST /auth/token as an OAuth2 password form; throws ApiError with Retry-After on lockout. */
export async function signIn(email: string, password: string): Promise<Tokens> {
  const res = await fetch('/api/v1/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }),
  });
  let body: unknown = null;
  try { body = await res.json(); } catch { /* empty */ }
  if (!res.ok) {
    const ra = res.headers.get('Retry-After');
    throw new ApiError(res.status, toProblem(body, res.status), ra ? Number(ra) : null);
  }
  return body as Tokens;
}

export default function LoginPage() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (getTokens()) return <Navigate to="/my-day" replace />;

  const onFinish = async (v: { email: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const tokens = await signIn(v.email.trim(), v.password);
      queryClient.clear();
      setTokens(tokens);
      const from = (location.state as { from?: string } | null)?.from;
      navigate(from && from !== '/login' ? from : '/my-day', { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        const lockMsg = e.retryAfter ? t('login.locked', { seconds: e.retryAfter }) : t('login.lockedNoTime');
        setError(e.problem.detail ? `${lockMsg} (${e.problem.detail})` : lockMsg);
      } else if (e instanceof ApiError && e.status === 401) {
        setError(e.problem.detail || t('login.failed'));
      } else {
        setError(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f7fa', padding: 16 }}>
      <Card title={t('login.title')} style={{ width: '100%', maxWidth: 380 }}
        extra={<Select<Lang> size="small" value={i18n.language as Lang} onChange={setLang} style={{ width: 92 }}
          aria-label={t('common.language')}
          options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]} />}>
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
        <Form layout="vertical" onFinish={onFinish} requiredMark={false}>
          <Form.Item name="email" label={t('login.email')} rules={[{ required: true }]}>
            <Input autoComplete="username" inputMode="email" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>{t('login.submit')}</Button>
        </Form>
      </Card>
    </div>
  );
}
