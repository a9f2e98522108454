// Reads the object literals of the i18n sources without a TypeScript compiler: the value of
// `const NAME ... = <literal>;` is cut out with a bracket scan (strings and // comments skipped)
// and evaluated as JavaScript. The files keep to plain literals so this stays true.
import { readFileSync } from 'node:fs';

export function literal(file, name) {
  const text = readFileSync(file, 'utf8');
  const decl = new RegExp(`const ${name}\\b[^=]*=\\s*`).exec(text);
  if (!decl) throw new Error(`${file}: no const ${name}`);
  const start = decl.index + decl[0].length;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') { i = text.indexOf('\n', i); continue; }
    if (c === "'" || c === '"' || c === '`') {
      for (i++; text[i] !== c; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return Function(`return (${text.slice(start, i + 1)});`)();
    }
  }
  throw new Error(`${file}: ${name} is not closed`);
}

/** The zh-CN and en dictionaries as i18next sees them (enum labels under `enum`). */
export function dictionaries() {
  return {
    en: { ...literal('src/i18n/en.ts', 'en'), enum: literal('src/i18n/enumLabels.en.ts', 'enumEn') },
    zh: { ...literal('src/i18n/zh.ts', 'zh'), enum: literal('src/i18n/enumLabels.zh.ts', 'enumZh') },
  };
}

/** Every leaf key path of a dictionary, as 'a.b.c'. */
export function leafKeys(dict, prefix = '') {
  return Object.entries(dict).flatMap(([k, v]) =>
    v && typeof v === 'object' ? leafKeys(v, `${prefix}${k}.`) : [`${prefix}${k}`]);
}
