// zh-CN and en hold the same keys, and every literal t('a.b') key in src/ exists in both.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dictionaries, leafKeys } from './dicts.mjs';

const files = [];
(function walk(d) { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (/\.tsx?$/.test(f) && !/\.test\./.test(f)) files.push(p); } })('src');
const { en, zh } = dictionaries();
const lookup = (o, key) => key.split('.').reduce((a, k) => (a && typeof a === 'object' ? a[k] : undefined), o);
// A key used with { count } may exist only in its plural forms (key_one, key_other).
const has = (o, key) => lookup(o, key) !== undefined || lookup(o, `${key}_other`) !== undefined;
let missing = 0;

const enKeys = new Set(leafKeys(en));
const zhKeys = new Set(leafKeys(zh));
for (const k of enKeys) if (!zhKeys.has(k)) { console.error(`zh.ts: ${k} is in en but not in zh-CN`); missing++; }
for (const k of zhKeys) if (!enKeys.has(k)) { console.error(`en.ts: ${k} is in zh-CN but not in en`); missing++; }

for (const f of files) {
  for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) {
    for (const [name, d] of [['en', en], ['zh', zh]]) {
      if (!has(d, m[1])) { console.error(`${f}: ${m[1]} missing in ${name}`); missing++; }
    }
  }
}
if (missing) process.exit(1);
console.log(`i18n: zh-CN and en hold the same ${enKeys.size} keys; every literal key of ${files.length} files is in both`);
