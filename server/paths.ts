import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder (the one with package.json), found from this file so that it is the same whether the
 * server runs from its TypeScript sources or from the compiled copy under dist/.
 */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the server folder');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot();
