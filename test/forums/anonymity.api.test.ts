import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { postsCollection } from '../../server/forums/forums.collections.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';

/** Signs `who` in again on `inst` (a restarted instance listens elsewhere): a fresh session with their key. */
async function signIn(inst: TestInstance, who: Person, passphrase = PASS): Promise<Person> {
  const client = new Client(inst.url);
  const reply = await client.api('POST', '/sessions', { handle: who.handle, passphrase });
  assert.equal(reply.status, 201, reply.text);
  return { ...who, client };
}

/** The rows of a SQLite copy of the data directory, taken after the instance closed (and checkpointed). */
function seizedRows(dataDir: string, tables: readonly string[]): Map<string, string[]> {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-anon-seized-'));
  try {
    for (const name of fs.readdirSync(dataDir)) {
      if (name.startsWith('parasol.sqlite')) fs.copyFileSync(path.join(dataDir, name), path.join(copy, name));
    }
    const db = new Database(path.join(copy, 'parasol.sqlite'), { readonly: true });
    try {
      return new Map(tables.map((t) => [t, db.prepare(`SELECT id || ' ' || doc FROM "c_${t}"`).pluck().all() as string[]]));
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

describe('anonymous posts: blinded to the server', () => {
  let dataDir: string;
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let alice: Person;
  let bob: Person;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-anon-'));
    inst = await startInstance({ dataDir });
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
  });
  after(async () => {
    await inst.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const posts = () => inst.parasol.ctx.store.collection(postsCollection);

  async function anonymousThread(who: Person, title: string, board = 'general') {
    const made = await who.client.api('POST', `/boards/${board}/threads`, { title, body: `${title} body`, anonymous: true });
    assert.equal(made.status, 201, made.text);
    return made.json as { thread: { id: string }; post: { id: string } };
  }

  it('stores an anonymous post with no account id, and its author still edits and deletes it after a restart and a passphrase change', async () => {
    const { post } = await anonymousThread(alice, 'Mine alone');
    const stored = (await posts().get(post.id))!;
    assert.equal(stored.authorId, null, 'no account id on the post');
    assert.equal(typeof stored.blindAuthor, 'string', 'a blinded author instead');

    await inst.close();
    inst = await startInstance({ dataDir });
    alice = await signIn(inst, alice);
    bob = await signIn(inst, bob);
    mod = await signIn(inst, mod);
    boss = await signIn(inst, boss);
    assert.equal((await alice.client.api('PATCH', `/posts/${post.id}`, { body: 'after a restart' })).status, 200);

    const changed = await alice.client.api('POST', '/me/passphrase', { current: PASS, passphrase: 'a whole new passphrase to remember' });
    assert.ok(changed.status === 200 || changed.status === 204, changed.text);
    alice = await signIn(inst, alice, 'a whole new passphrase to remember');
    assert.equal((await alice.client.api('PATCH', `/posts/${post.id}`, { body: 'after a new passphrase' })).status, 200);
    assert.equal((await alice.client.api('DELETE', `/posts/${post.id}`)).status, 204);
    assert.equal((await posts().get(post.id))!.state, 'deleted');
  });

  it('refuses someone else’s edit, a forged blinded id and a ban of a named post, and changes nothing', async () => {
    const { thread, post } = await anonymousThread(alice, 'Not yours');
    const before = await posts().get(post.id);
    assert.equal((await bob.client.api('PATCH', `/posts/${post.id}`, { body: 'taken over' })).status, 403);
    assert.equal((await bob.client.api('DELETE', `/posts/${post.id}`)).status, 403);
    const forged = await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'as alice', anonymous: true, blindAuthor: before!.blindAuthor });
    assert.equal(forged.status, 422, 'a blinded id from a client is refused');
    const forgedEdit = await bob.client.api('PATCH', `/posts/${post.id}`, { body: 'x', blindAuthor: before!.blindAuthor });
    assert.ok(forgedEdit.status === 403 || forgedEdit.status === 422, forgedEdit.text);
    const named = await bob.client.api('POST', '/boards/general/threads', { title: 'Named', body: 'with my name' });
    const refusedBan = await mod.client.api('POST', `/posts/${named.json.post.id}/ban`, { reason: 'testing a ban' });
    assert.equal(refusedBan.status, 422);
    assert.match(refusedBan.text, /not_anonymous/);
    assert.deepEqual(await posts().get(post.id), before, 'the anonymous post is unchanged');
    assert.equal(await posts().count({ threadId: thread.id }), 1, 'no forged reply was stored');
  });

  it('bans an anonymous identity from its board on every new session, not from other boards, without naming the account', async () => {
    const { post } = await anonymousThread(bob, 'Trouble maker');
    await alice.client.api('POST', `/posts/${post.id}/reports`, { reason: 'harassment', note: 'please look' });
    const queue = await mod.client.api('GET', '/moderation/reports');
    const item = queue.json.reports.find((r: { post: { id: string } | null }) => r.post?.id === post.id);
    assert.ok(item, 'the report is in the queue');
    assert.equal(item.author, null);
    assert.equal(typeof item.post.anonymousNumber, 'number');
    assert.doesNotMatch(queue.text, new RegExp(`${bob.handle}|${bob.id}`), 'the queue never names the anonymous author');

    const banned = await mod.client.api('POST', `/posts/${post.id}/ban`, { reason: 'harassing members' });
    assert.equal(banned.status, 201, banned.text);
    assert.equal(banned.json.anonymousNumber, item.post.anonymousNumber);
    assert.equal((await mod.client.api('POST', `/posts/${post.id}/ban`, { reason: 'harassing members' })).status, 409);

    const fresh = await signIn(inst, bob);
    const again = await fresh.client.api('POST', '/boards/general/threads', { title: 'Back again', body: 'hello', anonymous: true });
    assert.equal(again.status, 403);
    assert.match(again.text, /anonymous_banned/);
    assert.equal((await fresh.client.api('POST', '/boards/health/threads', { title: 'Elsewhere', body: 'hello', anonymous: true })).status, 201, 'other boards are not affected');
    assert.equal((await fresh.client.api('POST', '/boards/general/threads', { title: 'Named', body: 'by name' })).status, 201, 'posting by name still works');
  });

  it('finds a member’s anonymous posts with their key when they delete their account, and deletes them or leaves them authorless as they chose', async () => {
    const gone = await member(inst, 'gone');
    const kept = await member(inst, 'kept');
    const erased = await anonymousThread(gone, 'Goes with me');
    const stays = await anonymousThread(kept, 'Stays without me');
    for (const [who, content] of [[gone, 'delete'], [kept, 'keep_anonymous']] as const) {
      const deleted = await who.client.api('DELETE', '/me', { passphrase: PASS, content });
      assert.ok(deleted.status === 200 || deleted.status === 204, deleted.text);
    }
    const a = (await posts().get(erased.post.id))!;
    assert.deepEqual([a.state, a.body, a.blindAuthor], ['deleted', '', null]);
    const b = (await posts().get(stays.post.id))!;
    assert.deepEqual([b.state, b.body, b.blindAuthor], ['visible', 'Stays without me body', null], 'kept, and nobody’s any more');
  });

  it('withholds from a moderator the reports on their own anonymous post', async () => {
    const { post } = await anonymousThread(mod, 'A moderator asks');
    await alice.client.api('POST', `/posts/${post.id}/reports`, { reason: 'spam' });
    const own = await mod.client.api('GET', '/moderation/reports');
    assert.ok(!own.json.reports.some((r: { post: { id: string } | null }) => r.post?.id === post.id), 'the author moderator does not see it');
    const other = await boss.client.api('GET', '/moderation/reports');
    assert.ok(other.json.reports.some((r: { post: { id: string } | null }) => r.post?.id === post.id), 'another moderator does');
  });

  itReadsSqliteFile('leaves no row linking anonymous posts, revisions, reactions or identities to the account in a copy of the data', async () => {
    const { post } = await anonymousThread(alice, 'Seized later');
    assert.equal((await alice.client.api('PATCH', `/posts/${post.id}`, { body: 'edited once' })).status, 200);
    assert.equal((await alice.client.api('POST', `/posts/${post.id}/reactions`, { kind: 'hug' })).status, 200);
    const named = await alice.client.api('POST', '/boards/general/threads', { title: 'Named by alice', body: 'named' });
    assert.equal((await alice.client.api('POST', `/posts/${named.json.post.id}/reactions`, { kind: 'heart' })).status, 200);
    await inst.close();
    const tables = ['posts', 'threads', 'post_revisions', 'reactions', 'anonymous_numbers', 'anonymous_reply_marks', 'board_bans', 'forum_claims'];
    const rows = seizedRows(dataDir, tables);
    const anonymous = rows.get('posts')!.filter((r) => r.includes('"anonymous":true'));
    assert.ok(anonymous.length >= 4, 'the anonymous posts are in the copy');
    assert.ok(rows.get('anonymous_reply_marks')!.length > 0, 'the anonymous identities’ read marks are in the copy');
    for (const row of anonymous) assert.doesNotMatch(row, /"authorId":"/, `an anonymous post names no account: ${row.slice(0, 80)}`);
    for (const table of tables) {
      for (const row of rows.get(table)!) {
        if (table === 'posts' || table === 'threads') {
          if (row.includes('"anonymous":true')) assert.ok(!row.includes(alice.id), `${table} row links alice`);
        } else {
          assert.ok(!row.includes(alice.id) && !row.includes(bob.id) && !row.includes(mod.id), `${table} row links an account: ${row.slice(0, 80)}`);
        }
      }
    }
    inst = await startInstance({ dataDir });
  });
});
