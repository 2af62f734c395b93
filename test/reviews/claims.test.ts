import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { responsesCollection, reviewClaimsCollection, reviewsCollection } from '../../server/reviews/reviews.collections.js';

const BOARD = '/review-boards/client-screening';

/** The upgrade: anonymous reviews and responses stored with their account id become claims that the next log-in takes up. */
describe('review claims (the upgrade to blinded review authors)', () => {
  let dataDir: string;
  let inst: TestInstance;
  let mod: Person;
  let ana: Person;
  let bea: Person;
  let cat: Person;
  let reviewId: string;
  let otherId: string;

  const review = (body: string, phone: string) => ({
    kind: 'warning',
    categories: ['robbery'],
    severity: 'medium',
    incidentMonth: '2026-08',
    body,
    identifiers: [{ type: 'phone', value: phone }],
  });

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-review-claims-'));
    inst = await startInstance({ dataDir });
    const boss = await admin(inst);
    mod = await moderator(inst, boss);
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
    cat = await member(inst, 'cat');
    const made = await ana.client.api('POST', `${BOARD}/reviews`, review('Before the upgrade.', '+44 7700 900501'));
    assert.equal(made.status, 201, made.text);
    reviewId = made.json.review.id;
    const other = await cat.client.api('POST', `${BOARD}/reviews`, review('Answered before the upgrade.', '+44 7700 900502'));
    otherId = other.json.review.id;
    for (const id of [reviewId, otherId]) assert.equal((await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'publish' })).status, 200);
    // As an instance from before blinding stored them: the account id on an anonymous review, and in an anonymous response's id.
    const { store } = inst.parasol.ctx;
    await store.collection(reviewsCollection).patch(reviewId, { anonymous: true, authorId: ana.id, blindAuthor: undefined, blindBoardId: undefined });
    const now = Date.now();
    await store.collection(responsesCollection).insert({ id: `${otherId}.${bea.id}`, reviewId: otherId, authorId: bea.id, anonymous: true, kind: 'corroborate', note: '', html: '', createdAt: now, expiresAt: now + 86_400_000 });
    await store.collection(reviewsCollection).increment(otherId, { corroborations: 1 });
    await inst.close();
    inst = await startInstance({ dataDir });
  });
  after(async () => {
    await inst.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const claims = (accountId: string) => inst.parasol.ctx.store.collection(reviewClaimsCollection).count({ accountId });

  it('erases the account ids at start-up and keeps each link as a claim, once however often it starts', async () => {
    const { store } = inst.parasol.ctx;
    const stored = (await store.collection(reviewsCollection).get(reviewId))!;
    assert.deepEqual([stored.authorId, stored.blindAuthor, stored.blindBoardId], [null, null, stored.boardId]);
    const answers = (await store.collection(responsesCollection).find({ where: { reviewId: otherId }, orderBy: { field: 'createdAt' }, limit: 5 })).items;
    assert.equal(answers.length, 1);
    assert.ok(!JSON.stringify(answers).includes(bea.id), 'the response and its id no longer name the account');
    assert.equal(await claims(ana.id), 1, 'a claim for the review');
    assert.equal(await claims(bea.id), 1, 'a claim for the response');
    await inst.close();
    inst = await startInstance({ dataDir });
    assert.equal(await claims(ana.id), 1, 'a second start adds nothing');
    assert.equal(await claims(bea.id), 1);
  });

  it('shows a claimed review as nobody’s until its member logs in', async () => {
    const stranger = new Client(inst.url);
    assert.equal((await stranger.api('POST', '/sessions', { handle: cat.handle, passphrase: PASS })).status, 201);
    assert.equal((await stranger.api('PATCH', `/reviews/${reviewId}`, { body: 'not mine' })).status, 403);
    const seen = await stranger.api('GET', `/reviews/${reviewId}`);
    assert.deepEqual(seen.json.review.author, { kind: 'anonymous' });
  });

  it('takes the claims up at the member’s log-in: they become blinded ids, and the authors act on their items again', async () => {
    const { store } = inst.parasol.ctx;
    const author = new Client(inst.url);
    assert.equal((await author.api('POST', '/sessions', { handle: ana.handle, passphrase: PASS })).status, 201);
    assert.equal(await claims(ana.id), 0, 'the claim is gone');
    assert.equal(typeof (await store.collection(reviewsCollection).get(reviewId))!.blindAuthor, 'string');
    const corrected = await author.api('PATCH', `/reviews/${reviewId}`, { body: 'Mine again.' });
    assert.equal(corrected.status, 200, corrected.text);
    assert.equal(corrected.json.review.mine, true);

    const responder = new Client(inst.url);
    assert.equal((await responder.api('POST', '/sessions', { handle: bea.handle, passphrase: PASS })).status, 201);
    assert.equal(await claims(bea.id), 0);
    const page = await responder.api('GET', `/reviews/${otherId}`);
    assert.equal(page.json.responses.length, 1);
    assert.equal(page.json.responses[0].mine, true, 'the response is the member’s again');
    assert.ok(!page.json.responses[0].id.includes(bea.id), 'the response id names no account');
    assert.equal((await responder.api('POST', `/reviews/${otherId}/responses`, { kind: 'corroborate', anonymous: true })).status, 409, 'and counts as their one answer');
    assert.equal(page.json.review.corroborations, 1);
  });
});
