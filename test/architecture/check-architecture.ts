/**
 * `npm run lint` runs this: it fails on any break of the import rules (see import-rules.ts) or of the file size
 * limit (file-size.ts), naming each one.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { longFiles } from './file-size.js';
import { checkImports, importEdges } from './import-rules.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const violations = [...checkImports(importEdges(root)), ...longFiles(root)];

for (const v of violations) process.stderr.write(`error [${v.rule}]: ${v.message}\n`);
if (violations.length > 0) process.exitCode = 1;
