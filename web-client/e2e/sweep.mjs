// Every route, loaded afresh as the admin at desktop and phone width: no console warning or
// error while it loads, a tab title that names the page, and no serious or critical axe-core
// accessibility violation in what it renders.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { signIn } from './flows.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** What a route must not show: warnings, errors and uncaught exceptions in the console. */
function watchConsole(page) {
  const said = [];
  page.on('console', (msg) => {
    if (msg.type() === 'warning' || msg.type() === 'error') said.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => said.push(`exception: ${err.message}`));
  return said;
}

// Violations in screens this check does not own yet, as [route, axe rule]: reported on every run
// and not failed on, until the screen is fixed and its line removed. Anything else fails.
const KNOWN = [
  ['/login', 'label'], // the language picker
  ['/customers', 'label'], ['/customers', 'aria-hidden-focus'], // unlabelled filters; the fixed column's measure row
  ['/leads', 'label'], ['/pipeline', 'label'], ['/contracts', 'label'], ['/imports', 'label'],
  ['/contracts', 'aria-hidden-focus'], // antd's measure row of a table with a fixed column
];
const routeOf = (path) => path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id');
const known = (path, rule) => KNOWN.some(([route, id]) => route === routeOf(path) && id === rule);

async function settle(page) {
  // Spinners and skeletons gone, then a moment for the last paint.
  await page.waitForFunction(() => !document.querySelector('.ant-spin-spinning, .ant-skeleton-active'),
    null, { timeout: 15000 }).catch(() => {});
  await page.waitForTimeout(300);
}

async function axeViolations(page) {
  // Evaluated through the debugger protocol: the app's Content-Security-Policy rightly refuses
  // an inline <script>, and the check must not weaken it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      // axe's own account of the first node, e.g. the two colours and their contrast ratio
      why: v.nodes[0]?.any?.[0]?.message ?? '',
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

function report(problems, path, violations) {
  for (const v of violations) {
    const line = `${path} axe ${v.impact} ${v.id}: ${v.help} at ${v.targets.join(', ')} (${v.why})`;
    if (known(path, v.id)) console.log(`        known: ${line}`);
    else problems.push(line);
  }
}

async function routes(api) {
  const admin = 'admin@demo.crm';
  const customers = await api(admin, 'GET', '/api/v1/customers?limit=1');
  const contracts = await api(admin, 'GET', '/api/v1/contracts?limit=1');
  const list = ['/my-day', '/customers', '/leads', '/pipeline', '/contracts', '/approvals', '/imports',
    ...['users', 'departments', 'api-keys', 'custom-fields', 'rules', 'approval-policy', 'webhooks',
      'templates', 'roles', 'audit'].map((s) => `/admin/${s}`)];
  if (customers.items[0]) list.splice(2, 0, `/customers/${customers.items[0].id}`);
  if (contracts.items[0]) list.push(`/contracts/${contracts.items[0].id}`);
  return list;
}

async function sweep({ browser, base, api }, viewport) {
  const problems = [];
  const anonymous = await browser.newContext({ locale: 'zh-CN', viewport });
  const loginPage = await anonymous.newPage();
  const loginSaid = watchConsole(loginPage);
  await loginPage.goto(`${base}/login`);
  await settle(loginPage);
  for (const line of loginSaid) problems.push(`/login ${line}`);
  report(problems, '/login', await axeViolations(loginPage));
  await anonymous.close();

  const { context, page } = await signIn(browser, base, 'admin@demo.crm', { viewport });
  for (const path of await routes(api)) {
    const said = watchConsole(page);
    await page.goto(`${base}${path}`);
    await settle(page);
    page.removeAllListeners('console');
    page.removeAllListeners('pageerror');
    for (const line of said) problems.push(`${path} ${line}`);
    const title = await page.title();
    if (!/ · CRM$/.test(title)) problems.push(`${path} title "${title}" does not name the page`);
    report(problems, path, await axeViolations(page));
  }
  await context.close();
  assert.deepEqual(problems, [], `at ${viewport.width} px:\n${problems.join('\n')}`);
}

export const sweeps = [
  {
    name: 'every route loads without console warnings and passes axe-core at 1366 px',
    run: (ctx) => sweep(ctx, { width: 1366, height: 860 }),
  },
  {
    name: 'every route loads without console warnings and passes axe-core at 375 px',
    run: (ctx) => sweep(ctx, { width: 375, height: 740 }),
  },
];
