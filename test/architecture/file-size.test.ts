import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { longFiles, MAX_LINES } from './file-size.js';

describe('file size limit', () => {
  let root: string;
  const write = (file: string, lines: number) => {
    fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), 'x;\n'.repeat(lines));
  };

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-size-'));
    write('server/forums/forums.service.ts', MAX_LINES + 1);
    write('server/rooms/rooms.service.ts', MAX_LINES);
    write('server/store/sqlite.adapter.ts', MAX_LINES * 3);
    write('federation/inbound/create.handler.ts', MAX_LINES + 1);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('names the files over the limit, in server/ and federation/, except the storage adapters', () => {
    assert.deepEqual(longFiles(root).map((v) => v.key).sort(), ['size: federation/inbound/create.handler.ts', 'size: server/forums/forums.service.ts']);
  });
});
