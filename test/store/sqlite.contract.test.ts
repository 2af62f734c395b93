import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defineCollection, type Doc, type Store } from '../../server/store/port.js';
import { openSqliteStore } from '../../server/store/sqlite.adapter.js';
import { foreignWrites, foreignWritesTo } from '../../server/core/foreign-writes.js';
import { boards, contractSpecs, posts, runStoreContract, sessions } from './contract.js';

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

  // A short wait for the deadlock check, so that the contract's nested calls are refused quickly.
  runStoreContract('sqlite', async () => openSqliteStore({ path: freshPath(), transactionWaitMs: 1000 }));

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

    it('drops the documents it keeps in memory when another process writes to the file', async function () {
      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      await store.collection(boards).insert({ id: 'b1', group: 'g', name: 'before' });
      assert.equal((await store.collection(boards).get('b1'))?.name, 'before');
      assert.equal((await store.collection(boards).getMany(['b1']))[0]?.name, 'before');
      const other = openSqliteStore({ path: file });
      try {
        await other.declare(contractSpecs);
        await other.collection(boards).patch('b1', { name: 'written by the CLI' });
        await other.collection(boards).insert({ id: 'b2', group: 'g', name: 'new' });
      } finally {
        await other.close();
      }
      assert.equal((await store.collection(boards).get('b1'))?.name, 'written by the CLI');
      assert.equal((await store.collection(boards).get('b2'))?.name, 'new');
      await store.close();
      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      assert.equal((await store.collection(boards).getMany(['b1']))[0]?.name, 'written by the CLI');
      const third = openSqliteStore({ path: file });
      try {
        await third.declare(contractSpecs);
        await third.collection(boards).patch('b1', { name: 'written again' });
      } finally {
        await third.close();
      }
      assert.deepEqual((await store.collection(boards).getMany(['b2', 'b1'])).map((b) => b.name), ['new', 'written again']);
    });

    it('tells the answers kept in memory of another process’s writes only when an answer shows what it wrote', async function () {
      const leases = defineCollection<{ id: string; holder: string }>({ name: 'leases', fields: {}, indexes: [], memoryCache: 5, shownInAnswers: false });
      store = openSqliteStore({ path: file });
      await store.declare([...contractSpecs, leases]);
      await store.collection(leases).insert({ id: 'job', holder: 'a' });
      await store.collection(boards).insert({ id: 'b1', group: 'g', name: 'before' });
      const other = openSqliteStore({ path: file });
      try {
        await other.declare([...contractSpecs, leases]);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal((await store.collection(leases).get('job'))?.holder, 'a');
        const before = foreignWrites();
        const [leasesBefore, boardsBefore] = [foreignWritesTo([leases.name]), foreignWritesTo([boards.name])];
        await other.collection(leases).patch('job', { holder: 'b' });
        await new Promise((resolve) => setImmediate(resolve));
        // Its own kept copy drops; the answers made from boards and posts stay.
        assert.equal((await store.collection(leases).get('job'))?.holder, 'b');
        assert.equal(foreignWrites(), before, 'a lease renewed elsewhere drops no kept answer');
        assert.ok(foreignWritesTo([leases.name]) > leasesBefore, 'what keeps a copy of the leases reads them again');
        assert.equal(foreignWritesTo([boards.name]), boardsBefore, 'and what keeps a copy of the boards does not');
        await other.collection(boards).patch('b1', { name: 'after' });
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal((await store.collection(boards).get('b1'))?.name, 'after');
        assert.ok(foreignWrites() > before, 'a board written elsewhere drops the kept answers');
        assert.ok(foreignWritesTo([boards.name]) > boardsBefore, 'and the copies of the boards');
      } finally {
        await other.close();
      }
      const raw = new Database(file);
      try {
        const seen = foreignWrites();
        raw.pragma('wal_checkpoint(TRUNCATE)');
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal((await store.collection(boards).get('b1'))?.name, 'after');
        assert.equal(foreignWrites(), seen, 'a checkpoint moves data_version but changes no document');
      } finally {
        raw.close();
      }
    });

    it('reads another connection’s commit from the next turn of the event loop on', async function () {
      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      await store.collection(boards).insert({ id: 'b1', group: 'g', name: 'before' });
      const raw = new Database(file);
      try {
        assert.equal((await store.collection(boards).get('b1'))?.name, 'before');
        // As every write of this code does: the document, then the mark that tells other processes what changed.
        raw.prepare(`UPDATE "c_boards" SET doc = json_set(doc, '$.name', 'outside') WHERE id = 'b1'`).run();
        raw.prepare(`UPDATE parasol_writes SET mark = random() WHERE name = 'boards'`).run();
        // The same turn keeps what it read (as if the commit came a moment later); the next one sees it.
        assert.equal((await store.collection(boards).get('b1'))?.name, 'before');
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal((await store.collection(boards).get('b1'))?.name, 'outside');
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

    it('rebuilds a text index made before words of unspaced scripts were segmented', async function () {
      // The layout the adapter made before SEARCH_TEXT_VERSION 1: triggers indexing the raw fields.
      const raw = new Database(file);
      const values = (row: string): string => `json_extract(${row}.doc, '$.title'), json_extract(${row}.doc, '$.body')`;
      raw.exec(`
        CREATE TABLE "c_posts" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL);
        CREATE VIRTUAL TABLE "s_posts" USING fts5("t_title", "t_body", content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
        CREATE TRIGGER "s_posts_ai" AFTER INSERT ON "c_posts" BEGIN
          INSERT INTO "s_posts" (rowid, "t_title", "t_body") VALUES (new.rowid, ${values('new')}); END;
        CREATE TRIGGER "s_posts_ad" AFTER DELETE ON "c_posts" BEGIN
          DELETE FROM "s_posts" WHERE rowid = old.rowid; END;
        CREATE TRIGGER "s_posts_au" AFTER UPDATE OF doc ON "c_posts"
          WHEN json_extract(old.doc, '$.title') IS NOT json_extract(new.doc, '$.title') OR json_extract(old.doc, '$.body') IS NOT json_extract(new.doc, '$.body') BEGIN
          DELETE FROM "s_posts" WHERE rowid = old.rowid;
          INSERT INTO "s_posts" (rowid, "t_title", "t_body") VALUES (new.rowid, ${values('new')}); END;
      `);
      const insert = raw.prepare('INSERT INTO "c_posts" (id, doc) VALUES (?, ?)');
      insert.run('zh', JSON.stringify({ id: 'zh', topicId: 't', title: '我们在学习中文', score: 1 }));
      insert.run('th', JSON.stringify({ id: 'th', topicId: 't', title: 'Thai', body: 'ภาษาไทยเป็นภาษาที่สวยงาม', score: 2 }));
      insert.run('en', JSON.stringify({ id: 'en', topicId: 't', title: 'A quick fox', score: 3 }));
      const matches = (query: string): number => raw.prepare(`SELECT count(*) FROM "s_posts" WHERE "s_posts" MATCH ?`).pluck().get(query) as number;
      assert.equal(matches('"中文"'), 0, 'the old layout indexes a whole run as one token');
      assert.equal(matches('"我们在学习中文"'), 1);
      raw.close();

      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      const coll = store.collection(posts);
      const found = async (text: string): Promise<string[]> => (await coll.search(text)).items.map((d) => d.id).sort();
      assert.deepEqual(await found('中文'), ['zh']);
      assert.deepEqual(await found('ภาษาไทย'), ['th']);
      assert.deepEqual(await found('thai สวยงาม'), ['th']);
      assert.deepEqual(await found('fox'), ['en']);
      assert.deepEqual((await coll.find({ where: { topicId: 't' }, orderBy: { field: 'score' } })).items.map((d) => d.id), ['zh', 'th', 'en']);
      await coll.patch('zh', { title: '我们在学习日语' });
      await coll.insert({ id: 'zh2', topicId: 't', title: '欢迎来到论坛' });
      await store.close();

      // Declared again: the rebuilt layout is recognised and kept, and still exact.
      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      const again = store.collection(posts);
      assert.deepEqual((await again.search('中文')).items, []);
      assert.deepEqual((await again.search('日语')).items.map((d) => d.id), ['zh']);
      assert.deepEqual((await again.search('论坛')).items.map((d) => d.id), ['zh2']);
      assert.deepEqual((await again.search('fox')).items.map((d) => d.id), ['en']);
    });

    it('refuses text writes and deletions from a connection without the search text function instead of desynchronising the index', async function () {
      store = openSqliteStore({ path: file });
      await store.declare(contractSpecs);
      await store.collection(posts).insert({ id: 'zh', topicId: 't', title: '我们在学习中文' });
      const raw = new Database(file);
      try {
        assert.throws(
          () => raw.prepare('INSERT INTO "c_posts" (id, doc) VALUES (?, ?)').run('x', JSON.stringify({ id: 'x', topicId: 't', title: '中文' })),
          /no such function/,
        );
        assert.throws(() => raw.prepare('DELETE FROM "c_posts" WHERE id = ?').run('zh'), /no such function/);
      } finally {
        raw.close();
      }
      assert.deepEqual((await store.collection(posts).search('中文')).items.map((d) => d.id), ['zh']);
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
