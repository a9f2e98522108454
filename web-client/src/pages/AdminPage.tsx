import { Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ForbiddenPage, NotFoundPage } from '../components/States';
import { can, useMe } from '../app/session';
import { Audit } from './admin/Audit';
import { CustomFields } from './admin/CustomFields';
import { ApiKeys, Departments, Roles, Users } from './admin/People';
import { ApprovalPolicy, Rules } from './admin/SalesRules';

const Integrations = lazy(() => import('./admin/Integrations'));

export default function AdminPage() {
  const { section = 'users' } = useParams();
  const { t } = useTranslation();
  const me = useMe();
  if (me.data?.role !== 'admin' && !can(me.data, 'settings:write')) return <ForbiddenPage />;
  const screens: Record<string, [string, React.ReactNode]> = {
    users: ['nav.users', <Users />], departments: ['nav.departments', <Departments />], 'api-keys': ['nav.apiKeys', <ApiKeys />],
    'custom-fields': ['nav.customFields', <CustomFields />], rules: ['nav.rules', <Rules />], 'approval-policy': ['nav.approvalPolicy', <ApprovalPolicy />],
    webhooks: ['nav.webhooks', <Suspense><Integrations kind="webhooks" /></Suspense>],
    templates: ['nav.templates', <Suspense><Integrations kind="templates" /></Suspense>], roles: ['nav.roles', <Roles />],
    audit: ['nav.audit', <Audit />],
  };
  const screen = screens[section];
  if (!screen) return <NotFoundPage />;
  return (
    <div>
      <Typography.Title level={3}>{t(screen[0])}</Typography.Title>
      {screen[1]}
    </div>
  );
}
