/**
 * `npm run lint` runs this: it fails on any break of the import rules (see import-rules.ts) or of the file size limit
 * (file-size.ts) that is not listed in known-violations.json. Listed ones are printed but pass, so that a branch can land before other branches remove
 * them; each entry is deleted when its violation goes, and a listed entry that no longer occurs fails the check
 * too, so the list only shrinks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { longFiles } from './file-size.js';
import { checkImports, importEdges } from './import-rules.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const known = new Set(JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'known-violations.json'), 'utf8')) as string[]);
const found = new Map([...checkImports(importEdges(root)), ...longFiles(root)].map((v) => [v.key, v]));

const fresh = [...found.values()].filter((v) => !known.has(v.key));
const tolerated = [...found.values()].filter((v) => known.has(v.key));
const gone = [...known].filter((key) => !found.has(key));

for (const v of tolerated) process.stdout.write(`known, to be removed: ${v.message}\n`);
for (const v of fresh) process.stderr.write(`error [${v.rule}]: ${v.message}\n`);
for (const key of gone) process.stderr.write(`error: "${key}" no longer occurs: delete it from test/architecture/known-violations.json\n`);
if (fresh.length > 0 || gone.length > 0) process.exitCode = 1;
