import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { reportsCollection } from '../../server/moderation/moderation.collections.js';
import { reactionsCollection } from '../../server/forums/forums.collections.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';

/** Retention is enforced by code: expired rows are gone from the database file, not flagged. */
describe('forum retention', () => {
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let alice: Person;
  let bob: Person;
  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
  });
  after(async () => inst.close());

  const rows = (table: string) => {
    const db = new Database(inst.dbFile, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('gives reactions stored without their thread the thread, drops those of deleted posts, and deletes a board\'s reactions with it', async () => {
    const { store, forums } = inst.parasol.ctx;
    const board = await boss.client.api('POST', '/boards', { slug: 'short-lived', name: 'Short-lived', description: 'to delete', visibility: 'public', language: 'en' });
    assert.equal(board.status, 201, board.text);
    const created = await alice.client.api('POST', '/boards/short-lived/threads', { title: 'Reacted to', body: 'words' });
    const postId = created.json.post.id as string;
    await bob.client.api('POST', `/posts/${postId}/reactions`, { kind: 'hug' });
    const col = store.collection(reactionsCollection);
    const stored = (await col.find({ where: { postId }, orderBy: { field: 'createdAt' } })).items[0]!;
    assert.equal(stored.threadId, created.json.thread.id);
    // As an older version stored them: no thread.
    const { threadId: _thread, ...old } = stored;
    await col.upsert(old as typeof stored);
    await col.insert({ ...old, id: 'gone.reaction.hug', postId: 'no-such-post' } as typeof stored);
    await forums.posting.backfillReactionThreads();
    assert.equal((await col.get(stored.id))?.threadId, created.json.thread.id);
    assert.equal(await col.get('gone.reaction.hug'), null);

    const removed = await boss.client.api('DELETE', '/boards/short-lived');
    assert.ok(removed.status === 204 || removed.status === 200, removed.text);
    assert.equal(await col.get(stored.id), null, 'the board\'s reactions went with it');
  });

  itReadsSqliteFile('deletes edit history, resolved reports and old log entries when their time is up', async () => {
    const { store } = inst.parasol.ctx;
    const created = await alice.client.api('POST', '/boards/general/threads', { title: 'Retention', body: 'first' });
    const postId = created.json.post.id as string;
    await alice.client.api('PATCH', `/posts/${postId}`, { body: 'second' });
    await bob.client.api('POST', `/posts/${postId}/reports`, { reason: 'spam' });
    const open = await bob.client.api('POST', `/posts/${postId}/reports`, { reason: 'other' });
    assert.equal(open.status, 201);
    await mod.client.api('POST', `/posts/${postId}/moderation`, { action: 'hide', reason: 'checking' });
    assert.ok(rows('c_post_revisions') >= 1, 'an edit is kept in the post history');
    assert.ok(rows('c_reports') >= 1, 'the reports are kept');
    assert.ok(rows('c_mod_log') >= 1, 'the moderation is logged');

    // Let time pass: sweeping "a year and a day from now" must delete what lives 180 or 365 days.
    const deleted = await store.sweepExpired(Date.now() + 366 * 86_400_000);
    assert.ok(deleted >= 3, `swept ${deleted}`);
    assert.equal(rows('c_post_revisions'), 0);
    assert.equal(rows('c_reports'), 0);
    assert.equal(rows('c_mod_log'), 0);
  });

  it('keeps open reports until a moderator resolves them', async () => {
    // The sweep above ended every session too (they expire within a year): sign in afresh.
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    const created = await alice.client.api('POST', '/boards/general/threads', { title: 'Open report', body: 'words' });
    await bob.client.api('POST', `/posts/${created.json.post.id}/reports`, { reason: 'spam' });
    await inst.parasol.ctx.store.sweepExpired(Date.now() + 10 * 365 * 86_400_000);
    const open = await inst.parasol.ctx.store.collection(reportsCollection).count({ postId: created.json.post.id, status: 'open' });
    assert.equal(open, 1);
  });
});
