// Every enum value in ../openapi/openapi.json has a zh-CN and an en label.
// Each enum's place in the spec is named (see src/i18n/enumKinds.ts for the naming) and mapped
// to a label kind; an enum with no kind, or a value with no label in either language, fails.
import { readFileSync } from 'node:fs';
import { literal } from './dicts.mjs';

const spec = JSON.parse(readFileSync('../openapi/openapi.json', 'utf8'));
const kinds = literal('src/i18n/enumKinds.ts', 'enumKinds');
const extraKinds = literal('src/i18n/enumKinds.ts', 'EXTRA_KINDS');
const labels = { en: literal('src/i18n/enumLabels.en.ts', 'enumEn'), 'zh-CN': literal('src/i18n/enumLabels.zh.ts', 'enumZh') };

/** The name enumKinds.ts uses for the enum found at `path` (a list of keys from the root). */
function placeOf(path) {
  if (path[0] === 'components' && path[1] === 'schemas') {
    return path[3] === 'properties' ? `${path[2]}.${path[4]}` : path[2];
  }
  if (path[0] === 'paths') {
    const at = path.indexOf('parameters');
    if (at > 0) {
      const holder = path.slice(0, at + 2).reduce((node, key) => node[key], spec);
      const method = at === 3 ? path[2].toUpperCase() : 'ANY';
      return `${method} ${path[1]} ?${holder.$ref ? holder.$ref.split('/').pop() : holder.name}`;
    }
  }
  return '/' + path.join('/');
}

const found = []; // [place, values]
(function walk(node, path) {
  if (Array.isArray(node)) { node.forEach((v, i) => walk(v, [...path, String(i)])); return; }
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node.enum)) found.push([placeOf(path), node.enum.filter((v) => typeof v === 'string')]);
  for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
})(spec, []);

const problems = [];
let values = 0;
for (const [place, codes] of found) {
  const kind = kinds[place];
  if (!kind) { problems.push(`${place}: an enum (${codes.join(', ')}) with no label kind; name one in src/i18n/enumKinds.ts`); continue; }
  for (const code of codes) {
    values++;
    for (const [lang, table] of Object.entries(labels)) {
      const text = table[kind]?.[code];
      if (typeof text !== 'string' || !text.trim()) problems.push(`${place}: "${code}" has no ${lang} label (enum.${kind}.${code})`);
    }
  }
}
for (const place of Object.keys(kinds)) {
  if (!found.some(([p]) => p === place)) problems.push(`enumKinds.ts: ${place} is not in openapi.json any more; remove it`);
}
for (const kind of new Set([...Object.values(kinds), ...extraKinds])) {
  const en = Object.keys(labels.en[kind] ?? {}), zh = Object.keys(labels['zh-CN'][kind] ?? {});
  if (!en.length) problems.push(`enum.${kind}: no labels at all`);
  for (const code of en) if (!zh.includes(code)) problems.push(`enum.${kind}.${code}: en only, no zh-CN label`);
  for (const code of zh) if (!en.includes(code)) problems.push(`enum.${kind}.${code}: zh-CN only, no en label`);
}

if (problems.length) {
  for (const p of problems) console.error(`labels: ${p}`);
  process.exit(1);
}
console.log(`labels: ${values} enum values in ${found.length} places of openapi.json have zh-CN and en labels`);
