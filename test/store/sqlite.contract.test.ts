import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defineCollection, type Doc, type Store } from '../../server/store/port.js';
import { openSqliteStore } from '../../server/store/sqlite.adapter.js';
import { contractSpecs, posts, runStoreContract, sessions } from './contract.js';

// A real file, not :memory:, so WAL mode, reopening and migrations are what production sees.
let dir: string;
let files = 0;

function freshPath(): string {
  files += 1;
  return path.join(dir, `store-${files}.sqlite`);
}

describe('sqlite adapter', function () {
  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'parasol-store-'));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  runStoreContract('sqlite', async () => openSqliteStore({ path: freshPath() }));

  describe('file behaviour', function () {
    let file: string;
    let store: Store | null;

    beforeEach(function () {
      file = freshPath();
      store = null;
    });

    afterEach(async function () {
      await store?.close();
    });

    it('uses WAL journaling', async function () {
      store = openSqliteStore({ path: file });
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        raw.close();
      }
    });

    it('keeps the data when the file is reopened', async function () {
      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      await store.collection(posts).insert({ id: 'p1', topicId: 't', title: 'a fox', score: 1 });
      await store.close();
      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      assert.equal((await store.collection(posts).get('p1'))?.title, 'a fox');
      assert.equal((await store.collection(posts).search('fox')).items.length, 1);
      assert.equal((await store.collection(posts).find({ where: { topicId: 't' }, orderBy: { field: 'score' } })).items.length, 1);
    });

    it('migrates an existing file to a spec with a new field, index and text field', async function () {
      interface Thread extends Doc {
        forumId: string;
        slug?: string;
        lastPostAt?: number;
        title?: string;
        summary?: string;
      }
      const v1 = defineCollection<Thread>({
        name: 'threads',
        fields: { forumId: 'string' },
        indexes: [{ fields: ['forumId'] }],
        textFields: ['title'],
      });
      const v2 = defineCollection<Thread>({
        name: 'threads',
        fields: { forumId: 'string', lastPostAt: 'number', slug: 'string' },
        indexes: [{ fields: ['forumId'] }, { fields: ['forumId', 'lastPostAt'] }, { fields: ['slug'], unique: true }],
        textFields: ['title', 'summary'],
      });
      store = openSqliteStore({ path: file });
      await store.declare([v1]);
      await store.collection(v1).insert({ id: 'a', forumId: 'f', lastPostAt: 2, slug: 'x', title: 'otters', summary: 'rivers' });
      await store.collection(v1).insert({ id: 'b', forumId: 'f', lastPostAt: 1, slug: 'y', title: 'beavers', summary: 'dams' });
      await store.close();

      store = openSqliteStore({ path: file });
      await store.declare([v2]);
      const threads = store.collection(v2);
      const page = await threads.find({ where: { forumId: 'f' }, orderBy: { field: 'lastPostAt', direction: 'desc' } });
      assert.deepEqual(page.items.map((t) => t.id), ['a', 'b']);
      assert.equal((await threads.findOne({ slug: 'y' }))?.id, 'b');
      await assert.rejects(threads.insert({ id: 'c', forumId: 'f', slug: 'x' }), { name: 'DuplicateKeyError' });
      assert.deepEqual((await threads.search('dams')).items.map((t) => t.id), ['b']);
      assert.deepEqual((await threads.search('otters rivers')).items.map((t) => t.id), ['a']);
      await store.declare([v2]);
      assert.equal(await threads.count({ forumId: 'f' }), 2);
    });

    it('sweeps expired documents from the file on its timer', async function () {
      store = openSqliteStore({ path: file, sweepIntervalMs: 25 });
      await store.declare(contractSpecs);
      await store.collection(sessions).insert({ id: 's', userId: 'u', expiresAt: Date.now() - 1000 });
      const raw = new Database(file, { readonly: true });
      try {
        const rows = (): number => raw.prepare('SELECT count(*) FROM c_sessions').pluck().get() as number;
        assert.equal(rows(), 1);
        // Polls rather than sleeping a fixed time so a loaded machine only makes the test slower, not flaky.
        const deadline = Date.now() + 20_000;
        while (rows() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(rows(), 0);
      } finally {
        raw.close();
      }
    });
  });
});
