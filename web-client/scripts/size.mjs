// The JavaScript the browser loads for the first route (index.html's entry and its static
// imports, plus the log-in route chunk), gzipped. Fails above the budget.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET_KB = 350;
const dist = 'dist';
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));
const seen = new Set();
function walk(key) {
  if (seen.has(key)) return;
  seen.add(key);
  for (const imp of manifest[key].imports ?? []) walk(imp);
}
const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
walk(entry);
const login = Object.keys(manifest).find((k) => k.endsWith('pages/LoginPage.tsx'));
if (login) walk(login);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
let first = 0;
const rows = [];
for (const key of seen) {
  const f = manifest[key].file;
  const size = gz(f);
  first += size;
  rows.push([f, size]);
}
rows.sort((a, b) => b[1] - a[1]);
for (const [f, s] of rows) console.log(`${(s / 1024).toFixed(1).padStart(8)} KB  ${f}`);
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'))
  .reduce((n, f) => n + gz(join('assets', f)), 0);
// The chart chunks: what LazyChart's dynamic import adds on top of the first route.
const chart = Object.keys(manifest).find((k) => k.includes('LazyChart'));
const lazySeen = new Set();
const walkLazy = (key) => { if (lazySeen.has(key) || seen.has(key)) return; lazySeen.add(key); for (const i of manifest[key].imports ?? []) walkLazy(i); };
for (const d of (chart && manifest[chart].dynamicImports) || []) walkLazy(d);
const charts = [...lazySeen].reduce((n, k) => n + gz(manifest[k].file), 0);
console.log(`first route JS (gzip): ${(first / 1024).toFixed(1)} KB (budget ${BUDGET_KB} KB)`);
console.log(`ECharts, loaded by the chart screens only (gzip): ${(charts / 1024).toFixed(1)} KB`);
console.log(`all JS chunks (gzip):  ${(all / 1024).toFixed(1)} KB`);
if (first / 1024 > BUDGET_KB) { console.error('over budget'); process.exit(1); }
