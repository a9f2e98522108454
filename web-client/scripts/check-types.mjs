// Fails when src/api/schema.d.ts is not what openapi-typescript makes from ../openapi/openapi.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(mkdtempSync(join(tmpdir(), 'crm-types-')), 'schema.d.ts');
execFileSync(process.execPath, ['node_modules/openapi-typescript/bin/cli.js',
  '../openapi/openapi.json', '--default-non-nullable', 'false', '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
const fresh = readFileSync(out, 'utf8');
const committed = readFileSync('src/api/schema.d.ts', 'utf8');
if (fresh !== committed) {
  console.error('src/api/schema.d.ts is stale: run `npm run gen` and commit the result.');
  process.exit(1);
}
console.log('src/api/schema.d.ts matches openapi/openapi.json');
