// Every literal t('a.b') key in src/ exists in both dictionaries.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const files = [];
(function walk(d) { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (/\.tsx?$/.test(f) && !/\.test\./.test(f)) files.push(p); } })('src');
const src = (p) => readFileSync(p, 'utf8');
const dict = (p) => {
  const text = src(p).replace(/^[\s\S]*?= \{/, '{').replace(/};\s*(export type[\s\S]*)?$/, '}');
  return Function(`return (${text});`)();
};
const en = dict('src/i18n/en.ts');
const zh = dict('src/i18n/zh.ts');
const has = (o, key) => key.split('.').reduce((a, k) => (a && typeof a === 'object' ? a[k] : undefined), o) !== undefined;
let missing = 0;
for (const f of files) {
  for (const m of src(f).matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) {
    for (const [name, d] of [['en', en], ['zh', zh]]) {
      if (!has(d, m[1])) { console.error(`${f}: ${m[1]} missing in ${name}`); missing++; }
    }
  }
}
if (missing) process.exit(1);
console.log(`i18n: every literal key of ${files.length} files is in en and zh-CN`);
