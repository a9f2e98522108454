import { Spin } from 'antd';
import { createBrowserRouter, Navigate, Outlet, type RouteObject } from 'react-router';
import '../i18n';
import { usePageTitle, type TitleHandle } from './pageTitle';

// Every screen is its own chunk; the log-in route loads only what it needs.
const lazy = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({ Component: (await load()).default });
const title = (key: TitleHandle['title']): TitleHandle => ({ title: key });
const ADMIN_TITLES: Record<string, string> = {
  users: 'nav.users', departments: 'nav.departments', 'api-keys': 'nav.apiKeys', 'custom-fields': 'nav.customFields',
  rules: 'nav.rules', 'approval-policy': 'nav.approvalPolicy', webhooks: 'nav.webhooks', templates: 'nav.templates',
  roles: 'nav.roles', audit: 'nav.audit',
};

/** Above every route: names the page in the tab, and shows a spinner while the first chunk loads. */
function Root() {
  usePageTitle();
  return <Outlet />;
}

function FirstLoad() {
  return <Spin fullscreen />;
}

export const routes: RouteObject[] = [{
  Component: Root,
  HydrateFallback: FirstLoad,
  children: [
    { path: '/login', handle: title('titles.login'), lazy: lazy(() => import('../pages/LoginPage')) },
    {
      path: '/',
      lazy: async () => ({ Component: (await import('./Shell')).Shell }),
      children: [
        { index: true, element: <Navigate to="/my-day" replace /> },
        { path: 'my-day', handle: title('nav.myDay'), lazy: lazy(() => import('../pages/MyDayPage')) },
        { path: 'customers', handle: title('nav.customers'), lazy: lazy(() => import('../pages/CustomersPage')) },
        { path: 'customers/:id', handle: title('titles.customer'), lazy: lazy(() => import('../pages/CustomerPage')) },
        { path: 'leads', handle: title('nav.leads'), lazy: lazy(() => import('../pages/LeadsPage')) },
        { path: 'pipeline', handle: title('nav.pipeline'), lazy: lazy(() => import('../pages/PipelinePage')) },
        { path: 'contracts', handle: title('nav.contracts'), lazy: lazy(() => import('../pages/ContractsPage')) },
        { path: 'contracts/:id', handle: title('titles.contract'), lazy: lazy(() => import('../pages/ContractPage')) },
        { path: 'approvals', handle: title('nav.approvals'), lazy: lazy(() => import('../pages/ApprovalsPage')) },
        { path: 'imports', handle: title('nav.imports'), lazy: lazy(() => import('../pages/ImportPage')) },
        {
          path: 'admin/:section',
          handle: title((params) => ADMIN_TITLES[params.section ?? ''] ?? 'common.notFound'),
          lazy: lazy(() => import('../pages/AdminPage')),
        },
        { path: '*', handle: title('common.notFound'), lazy: async () => ({ Component: (await import('../components/States')).NotFoundPage }) },
      ],
    },
  ],
}];

export const router = createBrowserRouter(routes);
