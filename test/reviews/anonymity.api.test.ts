import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';
import { sessionsCollection } from '../../server/accounts/accounts.collections.js';
import { responsesCollection, reviewsCollection } from '../../server/reviews/reviews.collections.js';
import { seize } from '../privacy/seizure.js';

const BOARD = '/review-boards/client-screening';
const NEW_PASS = 'a whole new passphrase to remember';

/** Signs `who` in again on `inst` (a restarted instance listens elsewhere): a fresh session with their key. */
async function signIn(inst: TestInstance, who: Person, passphrase = PASS): Promise<Person> {
  const client = new Client(inst.url);
  const reply = await client.api('POST', '/sessions', { handle: who.handle, passphrase });
  assert.equal(reply.status, 201, reply.text);
  return { ...who, client };
}

let phone = 0;
/** A warning naming a client number no other test uses, so look-ups find only this review. */
function warning(extra: Record<string, unknown> = {}) {
  phone += 1;
  return {
    kind: 'warning',
    categories: ['non_payment'],
    severity: 'high',
    incidentMonth: '2026-10',
    body: 'Left without paying.',
    identifiers: [{ type: 'phone', value: `+44 7700 9${String(phone).padStart(5, '0')}` }],
    anonymous: true,
    ...extra,
  };
}

/** SQLite's page size, from the database header (1 stands for 65,536). */
function pageSize(db: Buffer): number {
  const size = db.readUInt16BE(16);
  return size === 1 ? 65_536 : size;
}

/**
 * Every database page of a seized copy (the main file's pages, and the page images in the -wal's frames) that holds
 * `marker`: what an attacker reads next to an item, whatever the rows a query would return.
 */
function pagesHolding(files: ReadonlyMap<string, Buffer>, marker: string): Buffer[] {
  const db = files.get('parasol.sqlite');
  assert.ok(db && db.length >= 100, 'the copy holds the database');
  const size = pageSize(db);
  const pages: Buffer[] = [];
  for (let at = 0; at + size <= db.length; at += size) pages.push(db.subarray(at, at + size));
  const wal = files.get('parasol.sqlite-wal');
  if (wal && wal.length > 32) {
    for (let at = 32; at + 24 + size <= wal.length; at += 24 + size) pages.push(wal.subarray(at + 24, at + 24 + size));
  }
  return pages.filter((page) => page.includes(marker));
}

describe('anonymous reviews: blinded to the server', () => {
  let dataDir: string;
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let ana: Person;
  let bea: Person;
  /** Ana's passphrase: the first test changes it. */
  let anaPass = PASS;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-anon-reviews-'));
    inst = await startInstance({ dataDir, env: { REVIEWS_PER_DAY: '50' } });
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
  });
  after(async () => {
    await inst.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const reviews = () => inst.parasol.ctx.store.collection(reviewsCollection);
  const responses = () => inst.parasol.ctx.store.collection(responsesCollection);

  async function post(who: Person, extra: Record<string, unknown> = {}): Promise<string> {
    const made = await who.client.api('POST', `${BOARD}/reviews`, warning(extra));
    assert.equal(made.status, 201, made.text);
    return made.json.review.id as string;
  }

  async function publish(id: string): Promise<void> {
    const reply = await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'publish' });
    assert.equal(reply.status, 200, reply.text);
  }

  it('stores an anonymous review with no account id; its author corrects, answers and retracts it after a restart and a passphrase change', async () => {
    const id = await post(ana);
    const stored = (await reviews().get(id))!;
    assert.equal(stored.authorId, null, 'no account id on the review');
    assert.equal(typeof stored.blindAuthor, 'string', 'a blinded author instead');
    assert.equal((await ana.client.api('GET', `/reviews/${id}`)).json.review.mine, true, 'the author sees it as theirs while it waits');

    await inst.close();
    inst = await startInstance({ dataDir, env: { REVIEWS_PER_DAY: '50' } });
    [ana, bea, mod, boss] = await Promise.all([signIn(inst, ana), signIn(inst, bea), signIn(inst, mod), signIn(inst, boss)]);
    const corrected = await ana.client.api('PATCH', `/reviews/${id}`, { body: 'Corrected after a restart.' });
    assert.equal(corrected.status, 200, corrected.text);
    assert.equal(corrected.json.review.mine, true);

    const changed = await ana.client.api('POST', '/me/passphrase', { current: PASS, passphrase: NEW_PASS });
    assert.ok(changed.status === 200 || changed.status === 204, changed.text);
    anaPass = NEW_PASS;
    ana = await signIn(inst, ana, anaPass);
    assert.equal((await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'ask', question: 'Which week was it?' })).status, 200);
    assert.equal((await ana.client.api('POST', `/reviews/${id}/answer`, { answer: 'The first week' })).status, 200);
    assert.equal((await ana.client.api('PATCH', `/reviews/${id}`, { body: 'Corrected after a new passphrase.' })).status, 200);
    assert.equal((await ana.client.api('DELETE', `/reviews/${id}`)).status, 204);
    assert.equal(await reviews().get(id), null);
  });

  it('refuses another member’s correction, retraction and answer, and a blinded id sent by a client, changing nothing', async () => {
    const id = await post(ana);
    await publish(id);
    const before = await reviews().get(id);
    for (const [method, url, body] of [
      ['PATCH', `/reviews/${id}`, { body: 'taken over' }],
      ['DELETE', `/reviews/${id}`, undefined],
      ['POST', `/reviews/${id}/answer`, { answer: 'not mine to answer' }],
    ] as const) {
      const reply = await bea.client.api(method, url, body);
      assert.equal(reply.status, 403, `${method} ${url}: ${reply.text}`);
      assert.equal(reply.json.error.code, 'not_author');
    }
    const count = await reviews().count();
    const forged = await bea.client.api('POST', `${BOARD}/reviews`, warning({ blindAuthor: before!.blindAuthor }));
    assert.equal(forged.status, 422, 'a blinded id from a client is refused');
    assert.equal(await reviews().count(), count, 'nothing was stored');
    const forgedEdit = await bea.client.api('PATCH', `/reviews/${id}`, { body: 'x', blindAuthor: before!.blindAuthor });
    assert.ok(forgedEdit.status === 403 || forgedEdit.status === 422, forgedEdit.text);
    const forgedAnswer = await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate', anonymous: true, blindAuthor: before!.blindAuthor });
    assert.equal(forgedAnswer.status, 422);
    assert.deepEqual(await reviews().get(id), before, 'the review is unchanged');
    assert.equal(await responses().count({ reviewId: id }), 0, 'no response was stored');
  });

  it('answers 401 member_key_locked to a session without a key, and changes nothing', async () => {
    const solo = await member(inst, 'solo');
    const id = await post(solo);
    await publish(id);
    const sessions = inst.parasol.ctx.store.collection(sessionsCollection);
    const session = await sessions.findOne({ accountId: solo.id });
    assert.ok(session?.keyWrap, 'the session stores a wrapped key');
    // A session made before member keys has no wrap.
    await sessions.patch(session.id, { keyWrap: undefined });
    const before = await reviews().get(id);
    const count = await reviews().count();
    for (const [method, url, body] of [
      ['PATCH', `/reviews/${id}`, { body: 'without my key' }],
      ['DELETE', `/reviews/${id}`, undefined],
      ['POST', `${BOARD}/reviews`, warning()],
      ['POST', `/reviews/${id}/responses`, { kind: 'corroborate' }],
    ] as const) {
      const reply = await solo.client.api(method, url, body);
      assert.equal(reply.status, 401, `${method} ${url}: ${reply.text}`);
      assert.equal(reply.json.error.code, 'member_key_locked');
    }
    assert.deepEqual(await reviews().get(id), before, 'the review is unchanged');
    assert.equal(await reviews().count(), count, 'no review was stored');
    assert.equal(await responses().count({ reviewId: id }), 0, 'no response was stored');
    assert.equal((await solo.client.api('GET', `/reviews/${id}`)).json.review.mine, false, 'without the key it cannot be told as theirs');
  });

  it('never shows moderators, admins or partners who wrote an anonymous review or response', async () => {
    assert.equal((await boss.client.api('PATCH', BOARD, { visibility: 'network' })).status, 200);
    const id = await post(ana, { body: 'Shared with the network.' });
    const pending = await mod.client.api('GET', '/review-queue');
    const held = pending.json.pending.find((p: { review: { id: string } }) => p.review.id === id);
    assert.ok(held, 'the anonymous review is queued');
    assert.equal(held.author, null);
    const queue = await mod.client.get('/reviews/queue');
    assert.ok(queue.text.includes(`/r/${id}`), 'the queue page lists it');
    assert.ok(!queue.text.includes(ana.handle), 'the queue page names no author');
    await publish(id);
    const answered = await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate', note: 'Same with me.', anonymous: true });
    assert.equal(answered.status, 201, answered.text);
    for (const who of [mod, boss]) {
      const page = await who.client.api('GET', `/reviews/${id}`);
      assert.equal(page.status, 200);
      assert.deepEqual(page.json.review.author, { kind: 'anonymous' });
      assert.equal(page.json.review.mine, false);
      assert.deepEqual(page.json.responses[0].author, { kind: 'anonymous' });
      for (const p of [ana, bea]) assert.ok(!page.text.includes(p.handle) && !page.text.includes(p.id), 'the page names neither author');
      const html = await who.client.get(`/r/${id}`);
      for (const p of [ana, bea]) assert.ok(!html.text.includes(p.handle), 'nor does the page for browsers');
    }
    const shared = await inst.parasol.ctx.reviewSharing.shared(id);
    assert.ok(shared, 'the review is shared with partners');
    assert.equal(shared.author, null);
    const text = JSON.stringify(shared);
    for (const p of [ana, bea]) assert.ok(!text.includes(p.handle) && !text.includes(p.id), 'partners learn no author');
    assert.equal((await boss.client.api('PATCH', BOARD, { visibility: 'members' })).status, 200);
  });

  it('stores an anonymous response under a blinded id, refuses answering one’s own anonymous review and answering twice', async () => {
    const id = await post(ana);
    await publish(id);
    const own = await ana.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate', anonymous: true });
    assert.equal(own.status, 422, own.text);
    assert.equal(own.json.error.code, 'respond_own');
    assert.equal((await ana.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate' })).status, 422, 'by name neither');
    const answered = await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'dispute', note: 'He paid me.', anonymous: true });
    assert.equal(answered.status, 201, answered.text);
    const stored = (await responses().find({ where: { reviewId: id }, orderBy: { field: 'createdAt' }, limit: 5 })).items;
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.authorId, null);
    assert.ok(!stored[0]!.id.includes(bea.id), 'the response id names no account');
    assert.equal((await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate' })).status, 409, 'not again by name');
    assert.equal((await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate', anonymous: true })).status, 409);
    const seen = await bea.client.api('GET', `/reviews/${id}`);
    assert.equal(seen.json.responses[0].mine, true, 'the responder sees their anonymous answer as theirs');
    assert.equal((await ana.client.api('GET', `/reviews/${id}`)).json.responses[0].mine, false);
    assert.equal((await ana.client.api('GET', `/reviews/${id}`)).json.review.disputes, 1);
  });

  it('sends a question about an anonymous review to no account: its author finds it on their next visit', async () => {
    const id = await post(ana);
    const asked = await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'ask', question: 'Which district was it?' });
    assert.equal(asked.status, 200, asked.text);
    const notes = await ana.client.api('GET', '/notifications');
    assert.ok(!notes.json.notifications.some((n: { url: string }) => n.url === `/r/${id}`), 'no notification names the review');
    const fresh = await signIn(inst, ana, anaPass);
    const waiting = await fresh.client.api('GET', '/review-questions');
    assert.equal(waiting.status, 200, waiting.text);
    assert.deepEqual(
      waiting.json.questions.filter((q: { id: string }) => q.id === id).map((q: { question: string; mine: boolean }) => [q.question, q.mine]),
      [['Which district was it?', true]],
    );
    const page = await fresh.client.get('/reviews');
    assert.match(page.text, /Which district was it\?/);
    assert.ok(page.text.includes(`/r/${id}`), 'the reviews page links to the question');
    assert.ok(!(await bea.client.api('GET', '/review-questions')).json.questions.some((q: { id: string }) => q.id === id), 'nobody else sees it');
    const answered = await fresh.client.submit(`/r/${id}`, `/r/${id}/answer`, { answer: 'Near the harbour' });
    assert.equal(answered.status, 303, 'the author answers on the page, without JavaScript');
    assert.equal((await reviews().get(id))!.answer, 'Near the harbour');
    assert.ok(!(await fresh.client.api('GET', '/review-questions')).json.questions.some((q: { id: string }) => q.id === id), 'answered, it is no longer waiting');
    assert.equal((await new Client(inst.url).api('GET', '/review-questions')).status, 401);
  });

  it('counts anonymous reviews in the per-day limit by their blinded ids, and named ones by account', async () => {
    const limited = await startInstance({ env: { REVIEWS_PER_DAY: '2' } });
    try {
      const who = await member(limited, 'limited');
      const write = (extra: Record<string, unknown>) => who.client.api('POST', `${BOARD}/reviews`, warning(extra));
      assert.equal((await write({ anonymous: true })).status, 201);
      assert.equal((await write({ anonymous: false })).status, 201);
      for (const anonymous of [true, false]) {
        const refused = await write({ anonymous });
        assert.equal(refused.status, 429, refused.text);
        assert.equal(refused.json.error.code, 'review_limit');
      }
      const other = await member(limited, 'other');
      assert.equal((await other.client.api('POST', `${BOARD}/reviews`, warning())).status, 201, 'another member’s limit is their own');
    } finally {
      await limited.close();
    }
  });

  it('exports a member’s anonymous reviews with their key, and on deletion removes them or leaves them authorless', async () => {
    const leaver = await member(inst, 'leaver');
    const keeper = await member(inst, 'keeper');
    const gone = await post(leaver, { body: 'Goes with my account.' });
    const kept = await post(keeper, { body: 'Stays without me.' });
    await publish(gone);
    await publish(kept);
    const answer = await keeper.client.api('POST', `/reviews/${gone}/responses`, { kind: 'corroborate', anonymous: true });
    assert.equal(answer.status, 201);
    const theirs = await leaver.client.api('POST', `/reviews/${kept}/responses`, { kind: 'corroborate', anonymous: true });
    assert.equal(theirs.status, 201);

    const data = await leaver.client.api('GET', '/me/export');
    assert.equal(data.status, 200, data.text);
    assert.ok(data.json.reviews.some((r: { id: string; anonymous: boolean }) => r.id === gone && r.anonymous), 'the export holds my anonymous review');
    assert.ok(!data.text.includes('Stays without me.'), 'and no one else’s');

    assert.equal((await leaver.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
    assert.equal((await keeper.client.api('DELETE', '/me', { passphrase: PASS, content: 'keep_anonymous' })).status, 204);
    assert.equal(await reviews().get(gone), null, 'deleted with the account');
    assert.equal(await responses().count({ reviewId: kept }), 0, 'the leaver’s anonymous answer went too');
    const stays = (await reviews().get(kept))!;
    assert.deepEqual([stays.authorId, stays.blindAuthor, stays.body], [null, null, 'Stays without me.'], 'kept, and nobody can prove it any more');
    const shown = await mod.client.api('GET', `/reviews/${kept}`);
    assert.deepEqual(shown.json.review.author, { kind: 'anonymous' });
  });

  itReadsSqliteFile('leaves no account id or handle next to an anonymous review or response in a seized copy of the database', async () => {
    const marker = 'zqxjkwvmarkerreview';
    const answerMarker = 'yqvjkxwmarkeranswer';
    const id = await post(ana, { body: `Seized later ${marker}` });
    await publish(id);
    assert.equal((await ana.client.api('PATCH', `/reviews/${id}`, { body: `Seized later, corrected ${marker}` })).status, 200);
    await publish(id);
    assert.equal((await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate', note: `Me too ${answerMarker}`, anonymous: true })).status, 201);
    await inst.close();
    const seized = seize(dataDir);
    const reviewPages = pagesHolding(seized.files, marker);
    const answerPages = pagesHolding(seized.files, answerMarker);
    assert.ok(reviewPages.length > 0 && answerPages.length > 0, 'the anonymous review and response are in the copy');
    for (const page of [...reviewPages, ...answerPages]) {
      for (const p of [ana, bea]) {
        assert.ok(!page.includes(p.id), `a page holding an anonymous item holds ${p.handle}'s account id`);
        assert.ok(!page.includes(p.handle), `a page holding an anonymous item holds ${p.handle}'s handle`);
      }
    }
    inst = await startInstance({ dataDir, env: { REVIEWS_PER_DAY: '50' } });
    [ana, bea, mod, boss] = await Promise.all([signIn(inst, ana, anaPass), signIn(inst, bea), signIn(inst, mod), signIn(inst, boss)]);
  });
});
