import { createBrowserRouter, Navigate } from 'react-router';
import '../i18n';

// Every screen is its own chunk; the log-in route loads only what it needs.
const lazy = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({ Component: (await load()).default });

export const router = createBrowserRouter([
  { path: '/login', lazy: lazy(() => import('../pages/LoginPage')) },
  {
    path: '/',
    lazy: async () => ({ Component: (await import('./Shell')).Shell }),
    children: [
      { index: true, element: <Navigate to="/my-day" replace /> },
      { path: 'my-day', lazy: lazy(() => import('../pages/MyDayPage')) },
      { path: 'customers', lazy: lazy(() => import('../pages/CustomersPage')) },
      { path: 'customers/:id', lazy: lazy(() => import('../pages/CustomerPage')) },
      { path: 'leads', lazy: lazy(() => import('../pages/LeadsPage')) },
      { path: 'pipeline', lazy: lazy(() => import('../pages/PipelinePage')) },
      { path: 'contracts', lazy: lazy(() => import('../pages/ContractsPage')) },
      { path: 'contracts/:id', lazy: lazy(() => import('../pages/ContractPage')) },
      { path: 'approvals', lazy: lazy(() => import('../pages/ApprovalsPage')) },
      { path: 'imports', lazy: lazy(() => import('../pages/ImportPage')) },
      { path: 'admin/:section', lazy: lazy(() => import('../pages/AdminPage')) },
      { path: '*', lazy: async () => ({ Component: (await import('../components/States')).NotFoundPage }) },
    ],
  },
]);
