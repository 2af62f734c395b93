import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';
import { notificationsCollection } from '../../server/notifications/notifications.collections.js';
import { replyMarksCollection } from '../../server/forums/forums.collections.js';

interface Notice {
  id: string;
  kind: string;
  url: string;
  seen: boolean;
  pulled?: true;
}

/** Replies tell their thread's author (and a quoted post's author): by account when named, on the next visit when anonymous. */
describe('reply notifications', () => {
  let dataDir: string;
  let inst: TestInstance;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let boss: Person;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-replies-'));
    inst = await startInstance({ dataDir });
    boss = await admin(inst);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    carol = await member(inst, 'carol');
  });
  after(async () => {
    await inst.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const notices = async (who: Person): Promise<Notice[]> => {
    const reply = await who.client.api('GET', '/notifications');
    assert.equal(reply.status, 200, reply.text);
    return reply.json.notifications as Notice[];
  };
  const unseenReplies = async (who: Person) => (await notices(who)).filter((n) => n.kind === 'forum_reply' && !n.seen);
  const thread = async (who: Person, title: string, anonymous = false) => {
    const made = await who.client.api('POST', '/boards/general/threads', { title, body: `${title}, the first post`, anonymous });
    assert.equal(made.status, 201, made.text);
    return made.json as { thread: { id: string }; post: { id: string } };
  };
  const reply = async (who: Person, threadId: string, fields: Record<string, unknown> = {}) => {
    const made = await who.client.api('POST', `/threads/${threadId}/posts`, { body: 'A reply with some words', ...fields });
    assert.equal(made.status, 201, made.text);
    return made.json.post as { id: string };
  };
  const signIn = async (who: Person): Promise<Person> => {
    const client = new Client(inst.url);
    assert.equal((await client.api('POST', '/sessions', { handle: who.handle, passphrase: PASS })).status, 201);
    return { ...who, client };
  };

  it('tells a named thread’s author once per thread until they look, with the link to the reply, and not the replier', async () => {
    const { thread: t } = await thread(alice, 'Named question');
    const first = await reply(bob, t.id);
    await reply(carol, t.id);
    const waiting = await unseenReplies(alice);
    assert.equal(waiting.length, 1, 'one notice for the thread, not one per reply');
    assert.equal(waiting[0]!.url, `/t/${t.id}#p-${first.id}`);
    assert.equal(waiting[0]!.pulled, undefined, 'kept for the account: nothing anonymous about it');
    assert.equal((await unseenReplies(bob)).length, 0, 'the replier is not told about their own reply');

    const opened = await alice.client.api('POST', `/notifications/${waiting[0]!.id}/seen`);
    assert.equal(opened.status, 200, opened.text);
    assert.equal((await unseenReplies(alice)).length, 0);
    await reply(bob, t.id);
    assert.equal((await unseenReplies(alice)).length, 1, 'a reply after they looked tells them again');
  });

  it('tells the thread’s author of a held reply once a moderator approves it, not while it waits', async () => {
    assert.equal((await boss.client.api('POST', '/boards', { slug: 'held', name: 'Held first posts', approveFirstPosts: true })).status, 201);
    // A moderator's own posts are never held: the board's admin opens the thread.
    const made = await boss.client.api('POST', '/boards/held/threads', { title: 'Waiting room', body: 'Waiting room, the first post' });
    assert.equal(made.status, 201, made.text);
    const t = made.json.thread as { id: string };
    const newcomer = await member(inst, 'newcomer');
    const held = await newcomer.client.api('POST', `/threads/${t.id}/posts`, { body: 'My first words here' });
    assert.equal(held.json.post.state, 'pending', held.text);
    const forThread = async () => (await unseenReplies(boss)).filter((n) => n.url.startsWith(`/t/${t.id}#`));
    assert.deepEqual(await forThread(), [], 'nobody is told of a reply nobody can read yet');
    const approved = await boss.client.api('POST', `/posts/${held.json.post.id}/moderation`, { action: 'approve' });
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual((await forThread()).map((n) => n.url), [`/t/${t.id}#p-${held.json.post.id}`]);
  });

  it('tells the named author of a quoted post', async () => {
    const { thread: t } = await thread(alice, 'Quotes');
    const carols = await reply(carol, t.id);
    await reply(bob, t.id, { quoteOf: carols.id });
    const told = await unseenReplies(carol);
    assert.equal(told.length, 1);
    assert.match(told[0]!.url, new RegExp(`^/t/${t.id}#p-`));
  });

  it('works out an anonymous author’s replies on their visit, from nothing kept for their account, and shows them to them alone', async () => {
    const { thread: t } = await thread(alice, 'Asked quietly', true);
    const stored = () => inst.parasol.ctx.store.collection(notificationsCollection).count({ accountId: alice.id });
    const storedBefore = await stored();
    await reply(alice, t.id, { anonymous: true });
    await reply(alice, t.id);
    assert.deepEqual(await pulledFor(alice, t.id), [], 'their own replies, anonymous or named, tell them nothing');

    const bobs = await reply(bob, t.id);
    await reply(carol, t.id);
    const mine = await pulledFor(alice, t.id);
    assert.equal(mine.length, 1, 'one notice for the thread');
    assert.equal(mine[0]!.url, `/t/${t.id}#p-${bobs.id}`, 'leading to the first reply they have not seen');
    assert.equal(mine[0]!.id, `forum.${t.id}`);
    assert.equal(await stored(), storedBefore, 'no notification was stored for the anonymous author’s account');
    for (const other of [bob, carol]) assert.deepEqual(await pulledFor(other, t.id), [], 'another member never sees it');

    // The header counts it on every page, without JavaScript, with the notices kept for the account.
    const unseen = (await notices(alice)).filter((n) => !n.seen).length;
    const page = await alice.client.get('/');
    assert.match(page.text, new RegExp(`You have ${unseen} new notifications?\\.`));
    const list = await alice.client.get('/notifications');
    assert.match(list.text, new RegExp(`action="/notifications/forum\\.${t.id}/open"`));

    // Another member cannot open it, nor mark it seen.
    assert.equal((await bob.client.api('POST', `/notifications/forum.${t.id}/seen`)).status, 404);
    assert.equal((await pulledFor(alice, t.id)).length, 1);

    // After a restart and on a new session, it is still there: the read mark is kept under the identity's blinded id.
    await inst.close();
    inst = await startInstance({ dataDir });
    alice = await signIn(alice);
    bob = await signIn(bob);
    carol = await signIn(carol);
    assert.equal((await pulledFor(alice, t.id)).length, 1);

    const open = await alice.client.submit('/notifications', `/notifications/forum.${t.id}/open`, {});
    assert.equal(open.status, 303, open.text);
    assert.equal(open.headers.get('location'), `/t/${t.id}#p-${bobs.id}`);
    assert.deepEqual(await pulledFor(alice, t.id), [], 'opened: seen');
    await reply(bob, t.id);
    assert.equal((await pulledFor(alice, t.id)).length, 1, 'a later reply is new again');
  });

  it('tells an anonymous reply’s author when someone quotes it, and the named thread author as usual', async () => {
    const { thread: t } = await thread(carol, 'Open to all');
    const quiet = await reply(alice, t.id, { anonymous: true });
    const quoting = await reply(bob, t.id, { quoteOf: quiet.id });
    const told = await pulledFor(alice, t.id);
    assert.deepEqual(told.map((n) => n.url), [`/t/${t.id}#p-${quoting.id}`], 'the anonymous author learns of the quote');
    assert.ok((await unseenReplies(carol)).some((n) => n.url.startsWith(`/t/${t.id}#`)), 'the named thread author is told by account');
    await reply(bob, t.id);
    assert.deepEqual((await pulledFor(alice, t.id)).map((n) => n.url), [`/t/${t.id}#p-${quoting.id}`], 'a reply that does not quote them is not about them');
  });

  it('keeps the read marks under blinded ids only, naming no account', async () => {
    const marks = await inst.parasol.ctx.store.collection(replyMarksCollection).find({ limit: 100 });
    assert.ok(marks.items.length > 0, 'the anonymous identities have read marks');
    const text = JSON.stringify(marks.items);
    for (const who of [alice, bob, carol]) {
      assert.ok(!text.includes(who.id), 'no account id');
      assert.ok(!text.includes(who.handle), 'no handle');
    }
  });

  it('answers 404 to a notice that is not there and changes nothing', async () => {
    for (const id of ['forum.nothing-here', 'elsewhere.x', 'forum.', 'not-a-notification']) {
      const refused = await alice.client.api('POST', `/notifications/${encodeURIComponent(id)}/seen`);
      assert.equal(refused.status, 404, `${id}: ${refused.text}`);
    }
    assert.equal((await new Client(inst.url).api('GET', '/notifications')).status, 401);
  });

  async function pulledFor(who: Person, threadId: string): Promise<Notice[]> {
    return (await notices(who)).filter((n) => n.pulled && n.url.startsWith(`/t/${threadId}#`));
  }
});
