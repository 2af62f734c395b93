import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { Store } from '../../server/store/port.js';
import { openSqliteStore } from '../../server/store/sqlite.adapter.js';
import { describeTraces, Markers, seize, traces, type Seized } from '../privacy/seizure.js';
import { contractSpecs, posts, sessions } from './contract.js';

const DB = 'parasol.sqlite';

/** Seizes the directory until no marker is left or `ms` have passed; returns the last seizure's traces. */
async function tracesWithin(dir: string, markers: readonly string[], ms: number): Promise<Map<string, string[]>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = traces(seize(dir, DB), markers);
    if (found.size === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function assertAllFound(seized: Seized, markers: readonly string[], inIndex: boolean): void {
  const found = traces(seized, markers);
  for (const marker of markers) {
    const places = found.get(marker) ?? [];
    assert.ok(places.some((place) => place !== 'index'), `${marker} is in the bytes before its deletion`);
    if (inIndex) assert.ok(places.includes('index'), `${marker} is a term of the text index before its deletion`);
  }
}

describe('sqlite adapter: deleted means gone from the bytes', function () {
  let dir: string;
  let store: Store | null;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'parasol-deletion-'));
    store = null;
  });

  afterEach(async function () {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('removes deleted, replaced and swept text from the file, its WAL and the text index by itself', async function () {
    const file = path.join(dir, DB);
    store = openSqliteStore({ path: file, checkpointDelayMs: 50, sweepIntervalMs: 50 });
    await store.declare(contractSpecs);
    const marks = new Markers();
    const [deletedTitle, deletedBody, editedAway, swept, kept] = [marks.next(), marks.next(), marks.next(), marks.next(), marks.next()];
    const coll = store.collection(posts);
    // Chinese next to the markers: the 'delete' command must get the same segmented words that were indexed.
    await coll.insert({ id: 'gone', topicId: 't', title: `${deletedTitle} 我们在学习中文`, body: `ภาษาไทย ${deletedBody}` });
    await coll.insert({ id: 'edited', topicId: 't', title: 'edited', body: `${editedAway} 欢迎来到论坛` });
    await coll.insert({ id: 'kept', topicId: 't', title: `${kept} 我们在学习中文`, body: 'ภาษาไทย' });
    await store.collection(sessions).insert({ id: 's', userId: 'u', expiresAt: Date.now() + 300, note: swept });
    const removed = [deletedTitle, deletedBody, editedAway, swept];
    assertAllFound(seize(dir, DB), removed, true);

    await coll.delete('gone');
    await coll.patch('edited', { body: '欢迎来到论坛' });
    const left = await tracesWithin(dir, removed, 20_000);
    assert.equal(left.size, 0, `traces while running: ${describeTraces(left)}`);
    assert.deepEqual(traces(seize(dir, DB), [kept]).get(kept)?.includes('index'), true, 'a kept document stays indexed');

    assert.deepEqual((await coll.search('中文')).items.map((d) => d.id), ['kept']);
    assert.deepEqual((await coll.search('ภาษาไทย')).items.map((d) => d.id), ['kept']);
    assert.deepEqual((await coll.search('论坛')).items.map((d) => d.id), ['edited']);
    await store.close();
    store = null;

    const afterStop = traces(seize(dir, DB), removed);
    assert.equal(afterStop.size, 0, `traces after a clean stop: ${describeTraces(afterStop)}`);
    assert.equal(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0, 0, 'no WAL content is left after a clean stop');
    const raw = new Database(file);
    try {
      raw.exec(`INSERT INTO "s_posts" ("s_posts", rank) VALUES ('integrity-check', 0)`);
    } finally {
      raw.close();
    }
  });

  it('does not wait for another process reading the file, and checkpoints once it is done', async function () {
    const file = path.join(dir, DB);
    store = openSqliteStore({ path: file, checkpointDelayMs: 20 });
    await store.declare(contractSpecs);
    const words = new Markers().next();
    const coll = store.collection(posts);
    await coll.insert({ id: 'gone', topicId: 't', title: words });
    const reader = new Database(file, { readonly: true });
    try {
      // An open read transaction, as the CLI or a backup holds: a TRUNCATE checkpoint cannot finish meanwhile.
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM "c_posts"').get();
      await coll.delete('gone');
      const started = Date.now();
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        await coll.insert({ id: `p${i}`, topicId: 't', title: 'later' });
      }
      assert.ok(Date.now() - started < 2_000, `writes went on while the checkpoint was refused (${Date.now() - started} ms)`);
      assert.ok(seize(dir, DB).files.get(`${DB}-wal`)?.includes(words), 'the reader holds the WAL: the deleted text is still in it');
      reader.exec('COMMIT');
    } finally {
      reader.close();
    }
    const left = await tracesWithin(dir, [words], 10_000);
    assert.equal(left.size, 0, `traces once the reader is done: ${describeTraces(left)}`);
  });

  it('replaces a text index that kept deleted terms and purges a file written without secure_delete', async function () {
    const file = path.join(dir, DB);
    const marks = new Markers();
    const [deleted, kept] = [marks.next(), marks.next()];
    // The layout of earlier versions, written as they did: contentless_delete, secure_delete off.
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('secure_delete = OFF');
    const values = (row: string): string => `json_extract(${row}.doc, '$.title'), json_extract(${row}.doc, '$.body')`;
    raw.exec(`
      CREATE TABLE "c_posts" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL);
      CREATE VIRTUAL TABLE "s_posts" USING fts5("t_title", "t_body", content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
      CREATE TRIGGER "s_posts_ai" AFTER INSERT ON "c_posts" BEGIN
        INSERT INTO "s_posts" (rowid, "t_title", "t_body") VALUES (new.rowid, ${values('new')}); END;
      CREATE TRIGGER "s_posts_ad" AFTER DELETE ON "c_posts" BEGIN
        DELETE FROM "s_posts" WHERE rowid = old.rowid; END;
    `);
    const insert = raw.prepare('INSERT INTO "c_posts" (id, doc) VALUES (?, ?)');
    insert.run('gone', JSON.stringify({ id: 'gone', topicId: 't', title: deleted }));
    insert.run('kept', JSON.stringify({ id: 'kept', topicId: 't', title: kept }));
    raw.prepare('DELETE FROM "c_posts" WHERE id = ?').run('gone');
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const before = seize(dir, DB);
    // Its pages keep the deleted term, though fts5vocab no longer lists it.
    assert.ok(before.files.get(DB)?.includes(deleted), 'the old layout leaves the deleted text in the file');

    store = openSqliteStore({ path: file });
    await store.declare(contractSpecs);
    const after = seize(dir, DB);
    assert.equal(traces(after, [deleted]).size, 0, `traces after the upgrade: ${describeTraces(traces(after, [deleted]))}`);
    assert.ok(after.terms.has(kept), 'the rebuilt index has the kept document');
    assert.deepEqual((await store.collection(posts).search(kept)).items.map((d) => d.id), ['kept']);
  });
});
