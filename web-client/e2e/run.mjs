// End-to-end run: a throwaway database, the real API (`crm serve`) serving the built SPA,
// the demo organisation as seed, and Playwright driving Debian's Chromium through the flows.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { flows as userFlows } from './flows.mjs';
import { sweeps } from './sweep.mjs';

const flows = [...userFlows, ...sweeps];

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const py = join(repo, '.venv', 'bin', 'python');
const crm = join(repo, '.venv', 'bin', 'crm');
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

const freePort = () => new Promise((ok) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

const databaseUrl = execFileSync(py, [join(here, 'database.py'), 'create'], { cwd: repo, encoding: 'utf8' }).trim();
const port = await freePort();
const env = {
  ...process.env,
  CRM_DATABASE_URL: databaseUrl,
  CRM_REDIS_URL: process.env.CRM_TEST_REDIS_URL || 'redis://127.0.0.1:6379/0',
  CRM_QUEUE_NAME: `crm:e2e:${process.pid}:${Date.now()}`,
  CRM_PORT: String(port),
  CRM_HOST: '127.0.0.1',
  CRM_WEB_DIST: join(here, '..', 'dist'),
  CRM_LOG_LEVEL: 'WARNING',
  CRM_LOGIN_MAX_FAILURES: '3',
  // Every flow signs in from 127.0.0.1; on a quick machine they pass the per-address limit on
  // log-ins within a minute (the limit has its own tests).
  CRM_LOGINS_PER_ADDRESS_PER_MINUTE: '1000',
};
let server;
let browser;
let failed = 0;
let passed = 0;
try {
  execFileSync(crm, ['demo'], { cwd: repo, env, stdio: ['ignore', 'ignore', 'inherit'] });
  server = spawn(crm, ['serve'], { cwd: repo, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/readyz`)).ok) break; } catch { /* not yet */ }
    if (i > 120) throw new Error('the API did not start');
    await new Promise((r) => setTimeout(r, 500));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const only = process.env.E2E_ONLY;
  for (const flow of flows) {
    if (only && !flow.name.includes(only)) continue;
    const started = Date.now();
    try {
      await flow.run({ browser, base, shots, api: apiHelper(base) });
      passed++;
      console.log(`  ok    ${flow.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`  FAIL  ${flow.name}\n${e.stack || e}`);
      let i = 0;
      for (const ctx of browser.contexts()) {
        for (const p of ctx.pages()) {
          await p.screenshot({ path: join(shots, `FAILED-${flows.indexOf(flow)}-${i++}.png`), fullPage: true }).catch(() => {});
        }
        await ctx.close().catch(() => {});
      }
    }
  }
} catch (e) {
  failed++;
  console.error(e);
} finally {
  if (browser) await browser.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 10000); });
  }
  try {
    execFileSync(py, [join(here, 'database.py'), 'drop', databaseUrl], { cwd: repo, stdio: 'inherit' });
  } catch (e) { console.error('could not drop', databaseUrl, e.message); }
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

/** Direct API calls for set-up (seeding records a flow needs) and for checking outcomes. */
function apiHelper(base) {
  const tokens = {};
  async function token(email) {
    if (!tokens[email]) {
      const r = await fetch(`${base}/api/v1/auth/token`, { method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: email, password: 'demo-pass-2026' }) });
      if (!r.ok) throw new Error(`login ${email}: ${r.status} ${await r.text()}`);
      tokens[email] = (await r.json()).access_token;
    }
    return tokens[email];
  }
  return async function call(email, method, path, body) {
    const r = await fetch(`${base}${path}`, { method,
      headers: { Authorization: `Bearer ${await token(email)}`, 'Content-Type': 'application/json',
        ...(method === 'POST' ? { 'Idempotency-Key': crypto.randomUUID() } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    const data = text ? JSON.parse(text) : null;
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return data;
  };
}
