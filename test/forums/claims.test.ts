import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { member, type Person } from '../helpers/people.js';
import { forumClaimsCollection, postsCollection, reactionsCollection, threadsCollection } from '../../server/forums/forums.collections.js';

/** The upgrade: links stored before blinding become claims at start-up, and the member's log-in redeems them. */
describe('forum claims (the upgrade to blinded authors)', () => {
  let dataDir: string;
  let inst: TestInstance;
  let alice: Person;
  let bob: Person;
  let postId: string;
  let threadId: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-claims-'));
    inst = await startInstance({ dataDir });
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    const made = await bob.client.api('POST', '/boards/general/threads', { title: 'Before the upgrade', body: 'named body' });
    assert.equal(made.status, 201, made.text);
    postId = made.json.post.id;
    threadId = made.json.thread.id;
    // As an instance from before blinding stored them: the account id on an anonymous post and thread, and on a reaction.
    const { store } = inst.parasol.ctx;
    await store.collection(postsCollection).patch(postId, { anonymous: true, authorId: alice.id, blindAuthor: undefined, blindBoardId: undefined });
    await store.collection(threadsCollection).patch(threadId, { anonymous: true, authorId: alice.id, blindAuthor: undefined, blindBoardId: undefined });
    const post = (await store.collection(postsCollection).get(postId))!;
    await store.collection(postsCollection).patch(postId, { reactions: { hug: 1 } });
    await store.collection(reactionsCollection).insert({ id: `${postId}.${alice.id}.hug`, postId, threadId: post.threadId, accountId: alice.id, kind: 'hug', createdAt: 1 } as never);
    await inst.close();
    inst = await startInstance({ dataDir });
  });
  after(async () => {
    await inst.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('erases the account ids at start-up and keeps each link as a claim, once however often it starts', async () => {
    const { store } = inst.parasol.ctx;
    const post = (await store.collection(postsCollection).get(postId))!;
    assert.equal(post.authorId, null);
    assert.equal((await store.collection(threadsCollection).get(threadId))!.authorId, null);
    const reactions = (await store.collection(reactionsCollection).find({ where: { postId }, orderBy: { field: 'createdAt' }, limit: 10 })).items;
    assert.equal(reactions.length, 1);
    assert.ok(!JSON.stringify(reactions).includes(alice.id), 'the reaction and its id no longer name the account');
    const claims = () => inst.parasol.ctx.store.collection(forumClaimsCollection).count({ accountId: alice.id });
    assert.equal(await claims(), 3, 'a claim for the post, the thread and the reaction');
    await inst.close();
    inst = await startInstance({ dataDir });
    assert.equal(await claims(), 3, 'a second start adds nothing');
  });

  it('redeems the claims at the member’s log-in: they become blinded ids and the author edits again', async () => {
    const { store } = inst.parasol.ctx;
    const client = new Client(inst.url);
    assert.equal((await client.api('POST', '/sessions', { handle: alice.handle, passphrase: PASS })).status, 201);
    assert.equal(await store.collection(forumClaimsCollection).count({ accountId: alice.id }), 0, 'the claims are gone');
    const post = (await store.collection(postsCollection).get(postId))!;
    assert.equal(typeof post.blindAuthor, 'string');
    assert.equal((await client.api('PATCH', `/posts/${postId}`, { body: 'mine again' })).status, 200);
    const thread = await client.api('GET', `/threads/${threadId}`);
    assert.deepEqual(thread.json.posts[0].myReactions, ['hug'], 'the reaction is the member’s again');
    const bobAgain = new Client(inst.url);
    await bobAgain.api('POST', '/sessions', { handle: bob.handle, passphrase: PASS });
    assert.equal((await bobAgain.api('PATCH', `/posts/${postId}`, { body: 'not mine' })).status, 403);
  });
});
