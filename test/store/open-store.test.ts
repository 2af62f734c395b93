import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, parseDatabaseUrl } from '../../server/store/open-store.js';

describe('openStore', function () {
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'parasol-open-store-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('parseDatabaseUrl', function () {
    it('defaults to a SQLite file in the data directory', function () {
      assert.deepEqual(parseDatabaseUrl(undefined, '/srv/data'), { kind: 'sqlite', path: '/srv/data/parasol.sqlite' });
      assert.deepEqual(parseDatabaseUrl('', '/srv/data'), { kind: 'sqlite', path: '/srv/data/parasol.sqlite' });
    });

    it('reads sqlite:PATH and sqlite::memory:', function () {
      assert.deepEqual(parseDatabaseUrl('sqlite:./x/db.sqlite'), { kind: 'sqlite', path: './x/db.sqlite' });
      assert.deepEqual(parseDatabaseUrl('sqlite:/abs/db.sqlite'), { kind: 'sqlite', path: '/abs/db.sqlite' });
      assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { kind: 'sqlite', path: ':memory:' });
    });

    it('reads mongodb:// and mongodb+srv:// URLs', function () {
      for (const url of ['mongodb://localhost:27017/parasol', 'mongodb://u:p@h1,h2/db?replicaSet=rs0', 'mongodb+srv://cluster.example.org/db']) {
        assert.deepEqual(parseDatabaseUrl(url), { kind: 'mongodb', url });
      }
    });

    it('reads postgres:// and postgresql:// URLs', function () {
      for (const url of ['postgres://parasol:pw@db.internal:5432/parasol', 'postgresql://db/parasol?sslmode=require']) {
        assert.deepEqual(parseDatabaseUrl(url), { kind: 'postgres', url });
      }
    });

    it('refuses anything else, naming DATABASE_URL and the accepted forms but not the value', function () {
      for (const url of ['mysql://user:hunter2@db/x', 'postgres://', 'sqlite:', 'mongodb://', 'mysql:hunter2', './file.sqlite', 'hunter2']) {
        assert.throws(
          () => parseDatabaseUrl(url),
          (error: Error) =>
            /DATABASE_URL/.test(error.message) &&
            /sqlite:PATH/.test(error.message) &&
            /postgres:\/\//.test(error.message) &&
            /mongodb:\/\//.test(error.message) &&
            /mongodb\+srv:\/\//.test(error.message) &&
            !error.message.includes('hunter2'),
        );
      }
    });
  });

  it('opens SQLite by default, creating the data directory', async function () {
    const dataDir = path.join(dir, 'nested', 'data');
    const store = await openStore(undefined, { dataDir });
    try {
      assert.equal(store.kind, 'sqlite');
      assert.ok(existsSync(path.join(dataDir, 'parasol.sqlite')), 'the SQLite database is created in the data directory');
    } finally {
      await store.close();
    }
  });

  it('opens sqlite:PATH, creating the parent directory, and sqlite::memory:', async function () {
    const file = path.join(dir, 'a', 'b', 'store.sqlite');
    const store = await openStore(`sqlite:${file}`);
    await store.close();
    assert.ok(existsSync(file), 'the SQLite file is created, with its directories');
    const memory = await openStore('sqlite::memory:', { sweepIntervalMs: 1000 });
    assert.equal(memory.kind, 'sqlite');
    await memory.close();
    assert.ok(!existsSync(':memory:'), 'an in-memory store writes no file');
  });

  it('routes mongodb:// to the MongoDB adapter, which reports an unreachable server clearly', async function () {
    // Port 1 refuses connections at once; the short server selection timeout keeps the test quick.
    await assert.rejects(openStore('mongodb://user:hunter2@127.0.0.1:1/x?serverSelectionTimeoutMS=200'), (error: Error) => {
      assert.match(error.message, /could not connect to MongoDB/);
      assert.ok(!error.message.includes('hunter2'), 'the password is not in the error message');
      return true;
    });
  });
});
