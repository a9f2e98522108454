import {
  ApartmentOutlined, AuditOutlined, BellOutlined, CalendarOutlined, FileTextOutlined,
  FunnelPlotOutlined, LogoutOutlined, SettingOutlined, TeamOutlined, UploadOutlined, UserOutlined,
  MenuOutlined,
} from '@ant-design/icons';
import { Badge, Button, Drawer, Dropdown, Grid, Layout, Menu, Select, Space, Spin, Typography } from 'antd';
import { Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { setTokens } from '../api/auth';
import type { Lang } from '../i18n';
import { ErrorState } from '../components/States';
import { GlobalSearch } from '../components/GlobalSearch';
import { useMe, useSignedIn, can, type Me } from './session';
import { useUnreadCount } from './notifications';
import { queryClient } from './queryClient';
import { useLanguageSwitch, useServerLocaleSync } from './locale';
import { useFocusableScrollRegions } from './scrollRegions';

function menuItems(me: Me | undefined, t: (k: string) => string) {
  const admin = me?.role === 'admin';
  // Only what the role may open (the API still decides; this just spares a 403 page).
  const items = [
    { key: '/my-day', icon: <CalendarOutlined />, label: t('nav.myDay'), show: true },
    { key: '/customers', icon: <TeamOutlined />, label: t('nav.customers'), show: can(me, 'customers:read') },
    { key: '/leads', icon: <FunnelPlotOutlined />, label: t('nav.leads'), show: can(me, 'leads:read') },
    { key: '/pipeline', icon: <ApartmentOutlined />, label: t('nav.pipeline'), show: can(me, 'opportunities:read') },
    { key: '/contracts', icon: <FileTextOutlined />, label: t('nav.contracts'), show: can(me, 'contracts:read') },
    { key: '/approvals', icon: <AuditOutlined />, label: t('nav.approvals'), show: can(me, 'contracts:approve') || can(me, 'reports:read') },
    { key: '/imports', icon: <UploadOutlined />, label: t('nav.imports'), show: can(me, 'customers:write') },
  ].filter((i) => i.show).map(({ show: _s, ...i }) => i);
  if (admin || can(me, 'settings:write')) {
    items.push({
      key: 'admin', icon: <SettingOutlined />, label: t('nav.admin'),
      // @ts-expect-error antd accepts children on a submenu item
      children: [
        ['users', 'nav.users'], ['departments', 'nav.departments'], ['api-keys', 'nav.apiKeys'],
        ['custom-fields', 'nav.customFields'], ['rules', 'nav.rules'], ['approval-policy', 'nav.approvalPolicy'],
        ['webhooks', 'nav.webhooks'], ['templates', 'nav.templates'], ['roles', 'nav.roles'], ['audit', 'nav.audit'],
      ].map(([k, l]) => ({ key: `/admin/${k}`, label: t(l) })),
    });
  }
  return items;
}

export function Shell() {
  const signedIn = useSignedIn();
  const me = useMe();
  const { t, i18n } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const mobile = screens.md === false;
  const [drawer, setDrawer] = useState(false);
  const unread = useUnreadCount(signedIn && me.isSuccess);
  const userId = signedIn && me.data?.kind === 'user' ? me.data.id : undefined;
  const switchLanguage = useLanguageSwitch(userId);
  useServerLocaleSync(userId);
  useFocusableScrollRegions();

  if (!signedIn) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => me.refetch()} />;

  const items = menuItems(me.data, t);
  const selected = '/' + location.pathname.split('/').filter(Boolean).slice(0, location.pathname.startsWith('/admin') ? 2 : 1).join('/');
  const menu = (
    <Menu mode="inline" selectedKeys={[selected]} defaultOpenKeys={location.pathname.startsWith('/admin') ? ['admin'] : []}
      items={items} onClick={(e) => { navigate(e.key); setDrawer(false); }} data-testid="nav" />
  );
  const signOut = () => { setTokens(null); queryClient.clear(); navigate('/login'); };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!mobile && (
        <Layout.Sider theme="light" width={216} breakpoint="lg" collapsible>
          <div style={{ padding: 16, fontWeight: 600, fontSize: 16 }}>{t('app.name')}</div>
          {menu}
        </Layout.Sider>
      )}
      <Drawer open={mobile && drawer} onClose={() => setDrawer(false)} placement="left" width={240} title={t('app.name')} styles={{ body: { padding: 0 } }}>
        {menu}
      </Drawer>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 16px', display: 'flex', alignItems: 'center', gap: 12, borderBottom: '1px solid #f0f0f0' }}>
          {mobile && <Button icon={<MenuOutlined />} onClick={() => setDrawer(true)} aria-label={t('common.menu')} data-testid="menu-button" />}
          <GlobalSearch />
          <div style={{ flex: 1 }} />
          <Space size="middle">
            <Badge count={unread} size="small">
              <Button type="text" icon={<BellOutlined />} onClick={() => navigate('/my-day')} aria-label={t('common.notifications')} />
            </Badge>
            <Select<Lang> size="small" value={i18n.language as Lang} onChange={switchLanguage} style={{ width: 92 }} data-testid="lang"
              aria-label={t('common.language')}
              options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]} />
            <Dropdown menu={{ items: [{ key: 'out', icon: <LogoutOutlined />, label: t('common.logout'), onClick: signOut }] }}>
              <Button type="text" icon={<UserOutlined />} data-testid="user-menu" aria-label={mobile ? t('common.account') : undefined}>
                {!mobile && <Typography.Text>{me.data?.name}</Typography.Text>}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: mobile ? 8 : 24 }}>
          {me.isPending ? <Spin /> : (
            <Suspense fallback={<Spin />}>
              <Outlet />
            </Suspense>
          )}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
