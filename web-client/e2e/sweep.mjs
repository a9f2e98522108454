// Every route, loaded afresh as the admin at desktop and phone width: no console warning or
// error while it loads, a tab title that names the page, and no serious or critical axe-core
// accessibility violation in what it renders.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { signIn } from './flows.mjs';
import { scanChinesePage, scanEnglishPage } from './language.mjs';

// E2E_SCREENSHOTS=docs saves each route's viewport as docs/screenshots/<route>-<width>.png.
const screenshotDir = process.env.E2E_SCREENSHOTS === 'docs'
  ? join(import.meta.dirname, '..', 'docs', 'screenshots') : null;
const shotName = (path) => ({ '/customers/:id': 'customer-360', '/contracts/:id': 'contract' })[routeOf(path)]
  ?? routeOf(path).replace(/^\//, '').replace(/\//g, '-');

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
  // Ant Design's table with a fixed column renders a hidden measure row that holds focusable
  // copies of the header cells; not the page's to fix.
  ['/customers', 'aria-hidden-focus'], ['/contracts', 'aria-hidden-focus'],
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

// Words on screen in the wrong language that come from the server, not from the web client,
// as [route, offender]: tolerated (and printed) until the server sends them translated.
// As [route, pattern matched against "offender in line"].
const ALLOWED_WORDS = [
  // Templates in the English locale are the organisation's own English text, shown as written.
  ['/admin/templates', /\t英语\t/],
  // The audit log shows a structured before/after value as the server stored it, as JSON with
  // its keys and codes: a pipeline's stages ("kind":"open"), a customer's contacts ("email").
  ['/admin/audit', /→ \{"/],
  // A denied or failed request's detail is the API's English problem text, stored as it was
  // said ("The customer … was not found"); the audit record keeps the server's words.
  ['/admin/audit', /→ The \w+ [0-9a-f-]{36} was not found/],
];
const allowedWord = (path, what) => ALLOWED_WORDS.some(([route, pattern]) => route === routeOf(path) && pattern.test(what));
// Per route, elements whose text is the record's own data: the customer's or contract's name.
const DATA_ON = { '/customers/:id': ['h3'], '/contracts/:id': ['h3'] };

async function scanLanguage(problems, page, path, lang) {
  const offenders = lang === 'en'
    ? await scanEnglishPage(page, path, DATA_ON[routeOf(path)]) : await scanChinesePage(page, path);
  for (const o of offenders) {
    const what = `${o.what}${o.line ? ` in "${o.line}"` : ''}`;
    const line = `${path} [${lang}] ${what}`;
    if (allowedWord(path, what)) console.log(`        allowed: ${line}`);
    else problems.push(line);
  }
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
  await scanLanguage(problems, loginPage, '/login', 'zh-CN');
  if (screenshotDir) await loginPage.screenshot({ path: join(screenshotDir, `login-${viewport.width}.png`) });
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
    await scanLanguage(problems, page, path, 'zh-CN');
    if (screenshotDir) await page.screenshot({ path: join(screenshotDir, `${shotName(path)}-${viewport.width}.png`) });
    if (path === '/leads') {
      // A lead's drawer: the score breakdown and the status words.
      // A table row at desktop width, a card on a phone. After the leads flow has closed the
      // demo's open leads, the list shows every lead once "open only" is unticked.
      const firstLead = page.locator('[data-testid="leads-table"] tbody tr.ant-table-row, [data-testid="record-cards"] .ant-card').first();
      if (!(await firstLead.isVisible())) {
        await page.getByRole('checkbox', { name: '仅未关闭' }).click();
        await settle(page);
      }
      await firstLead.click();
      await page.getByRole('dialog').waitFor();
      await settle(page);
      await scanLanguage(problems, page, '/leads (drawer)', 'zh-CN');
      await page.keyboard.press('Escape');
    }
  }
  if (viewport.width >= 1000) {
    // The same routes in English: no Chinese in what the UI itself labels.
    await page.evaluate(() => localStorage.setItem('crm.lang', 'en'));
    for (const path of await routes(api)) {
      await page.goto(`${base}${path}`);
      await settle(page);
      await scanLanguage(problems, page, path, 'en');
    }
  }
  await context.close();
  for (const line of problems) console.log(`        problem: ${line}`);
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
