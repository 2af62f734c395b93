import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_ROOTS, sourceFiles, type Violation } from './import-rules.js';

/** Past this a file holds more than one thing to find; split it along its seams. */
export const MAX_LINES = 500;

/** The storage adapters each hold one database's whole dialect, kept together on purpose. */
const exempt = (file: string) => /^server\/store\/[^/]+\.adapter\.ts$/.test(file);

export function longFiles(root: string): Violation[] {
  return SOURCE_ROOTS.flatMap((dir) => sourceFiles(root, dir))
    .filter((file) => !exempt(file))
    .flatMap((file) => {
      const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n').length - 1;
      return lines > MAX_LINES ? [{ rule: 'file-size' as const, key: `size: ${file}`, message: `${file} has ${lines} lines, more than ${MAX_LINES}` }] : [];
    });
}
