import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createParasol } from '../../server/app.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { DatabaseKeyError } from '../../server/store/sqlite-key.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member } from '../helpers/people.js';
import { runEntry } from '../helpers/process.js';
import { onPostgres } from '../helpers/test-database.js';

/** A random lowercase word: unique enough that finding it in the bytes means it leaked. */
const marker = () => `zq${crypto.randomBytes(12).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!)}`;

/** Every occurrence of each needle in every file under dir (database, -wal, -shm, anything else). */
function leaks(dir: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = fs.readFileSync(file);
    for (const needle of needles) {
      if (bytes.includes(needle) || bytes.includes(Buffer.from(needle, 'utf16le'))) found.push(`${needle} in ${entry.name}`);
    }
  }
  return found;
}

const quiet = { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'silent' } as const;

describe('encryption at rest (DATABASE_KEY)', function () {
  this.timeout(60_000);
  const key = crypto.randomBytes(24).toString('base64');
  let dataDir: string;
  let inst: TestInstance | null = null;

  beforeEach(function () {
    // DATABASE_KEY encrypts the SQLite file; with PostgreSQL it is refused (its own disk encryption applies).
    if (onPostgres) this.skip();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-enc-'));
  });

  afterEach(async function () {
    await inst?.close();
    inst = null;
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves no post, handle or board name readable in any file of the data directory, running or stopped', async function () {
    inst = await startInstance({ dataDir, env: { DATABASE_KEY: key } });
    const boss = await admin(inst);
    const ana = await member(inst, 'anaenc');
    const [title, body, boardName, reviewBoardName] = [marker(), marker(), marker(), marker()];
    assert.equal((await boss.client.api('POST', '/boards', { slug: 'enc-board', name: `Board ${boardName}` })).status, 201);
    const thread = await ana.client.api('POST', '/boards/enc-board/threads', { title: `About ${title}`, body: `Words ${body}` });
    assert.equal(thread.status, 201, thread.text);
    const renamed = await boss.client.api('PATCH', '/review-boards/client-screening', { name: `Screening ${reviewBoardName}` });
    assert.equal(renamed.status, 200, renamed.text);
    const needles = [title, body, boardName, reviewBoardName, ana.handle, boss.handle];

    assert.deepEqual(leaks(dataDir, needles), [], 'a marker is readable in a copy taken while running');
    await inst.parasol.close();
    inst = null;
    assert.deepEqual(leaks(dataDir, needles), [], 'a marker is readable after a clean stop');
    assert.notEqual(fs.readFileSync(path.join(dataDir, 'parasol.sqlite')).subarray(0, 15).toString(), 'SQLite format 3', 'the file header is plain');

    inst = await startInstance({ dataDir, env: { DATABASE_KEY: key } });
    const posts = await inst.parasol.ctx.forums.boards.allBoards();
    assert.ok(posts.some((b) => b.name.includes(boardName)), 'the board survives a restart with the key');
  });

  it('(control) finds the same kind of marker in a plain database, so the search above can fail', async function () {
    inst = await startInstance({ dataDir });
    const boss = await admin(inst);
    const boardName = marker();
    assert.equal((await boss.client.api('POST', '/boards', { slug: 'plain-board', name: `Board ${boardName}` })).status, 201);
    await inst.parasol.close();
    inst = null;
    assert.deepEqual(leaks(dataDir, [boardName, boss.handle]), [`${boardName} in parasol.sqlite`, `${boss.handle} in parasol.sqlite`]);
  });

  it('refuses to open the database without the key or with a wrong one, and changes nothing', async function () {
    inst = await startInstance({ dataDir, env: { DATABASE_KEY: key } });
    await inst.parasol.close();
    inst = null;
    const file = path.join(dataDir, 'parasol.sqlite');
    const before = fs.readFileSync(file);
    for (const env of [{}, { DATABASE_KEY: `${key}x` }]) {
      const config = loadConfig({ ...quiet, DATA_DIR: dataDir, ...env });
      await assert.rejects(createParasol(config), (error: Error) => {
        assert.ok(error instanceof DatabaseKeyError, `expected a DatabaseKeyError, got ${error.name}`);
        assert.match(error.message, /DATABASE_KEY/, 'the message names the setting');
        return true;
      });
    }
    assert.deepEqual(fs.readFileSync(file), before, 'a refused open changed the file');
  });

  it('stops the server at start with one clear line when the key is wrong', async function () {
    inst = await startInstance({ dataDir, env: { DATABASE_KEY: key } });
    await inst.parasol.close();
    inst = null;
    // One process: under a primary each worker would print the same line before the primary gives up on them.
    const run = runEntry('server/main.ts', [], { ...quiet, LOG_LEVEL: 'fatal', DATA_DIR: dataDir, DATABASE_KEY: 'not-the-right-key-at-all', PARASOL_WORKERS: '1' });
    const code = await run.exited();
    assert.equal(code, 1, run.output());
    assert.match(run.output(), /Parasol failed to start: The database .* cannot be read with this DATABASE_KEY/, run.output());
    assert.doesNotMatch(run.output(), /^\s+at /m, 'a stack trace was printed');
  });

  describe('settings', function () {
    it('refuses a DATABASE_KEY_FILE inside DATA_DIR', function () {
      const keyFile = path.join(dataDir, 'db.key');
      fs.writeFileSync(keyFile, `${key}\n`);
      assert.throws(() => loadConfig({ ...quiet, DATA_DIR: dataDir, DATABASE_KEY_FILE: keyFile }), (error: Error) => {
        assert.ok(error instanceof ConfigError, 'a configuration error');
        assert.match(error.message, /DATABASE_KEY_FILE: .* is inside/, 'names the setting and the reason');
        return true;
      });
    });

    it('reads a key file kept outside DATA_DIR, without its line end', function () {
      const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-key-'));
      try {
        fs.writeFileSync(path.join(keyDir, 'db.key'), `${key}\n`);
        const config = loadConfig({ ...quiet, DATA_DIR: dataDir, DATABASE_KEY_FILE: path.join(keyDir, 'db.key') });
        assert.equal(config.secrets.databaseKey, key);
      } finally {
        fs.rmSync(keyDir, { recursive: true, force: true });
      }
    });

    it('refuses DATABASE_KEY with MongoDB and PostgreSQL, pointing to disk encryption', function () {
      for (const url of ['mongodb://127.0.0.1:27017/parasol', 'postgres://parasol@127.0.0.1:5432/parasol']) {
        assert.throws(() => loadConfig({ ...quiet, DATA_DIR: dataDir, DATABASE_KEY: key, DATABASE_URL: url }), (error: Error) => {
          assert.ok(error instanceof ConfigError, `a configuration error for ${url}`);
          assert.match(error.message, /encrypts only a SQLite database.*full-disk encryption/s, 'points to disk encryption');
          return true;
        });
      }
    });

    it('refuses both DATABASE_KEY and DATABASE_KEY_FILE, and a short key', function () {
      assert.throws(() => loadConfig({ ...quiet, DATA_DIR: dataDir, DATABASE_KEY: key, DATABASE_KEY_FILE: '/etc/hostname' }), /set only one/);
      assert.throws(() => loadConfig({ ...quiet, DATA_DIR: dataDir, DATABASE_KEY: 'short' }), /DATABASE_KEY: must be at least 16/);
    });
  });
});
