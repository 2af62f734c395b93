import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { digestsCollection, reviewsCollection } from '../../server/reviews/reviews.collections.js';

const BOARD = '/review-boards/client-screening';

describe('client review boards API', () => {
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let ana: Person;
  let bea: Person;
  let cat: Person;

  before(async () => {
    inst = await startInstance({ env: { REVIEWS_PER_DAY: '50' } });
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
    cat = await member(inst, 'cat');
  });
  after(async () => inst.close());

  const warning = (extra: Record<string, unknown> = {}) => ({
    kind: 'warning',
    categories: ['violence', 'non_payment'],
    severity: 'high',
    incidentMonth: '2026-10',
    body: 'Became violent when asked to pay.',
    descriptors: 'Tall, grey car',
    identifiers: [{ type: 'phone', value: '+1 (555) 010-2030' }],
    ...extra,
  });

  async function publish(id: string) {
    const reply = await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'publish' });
    assert.equal(reply.status, 200, reply.text);
  }

  const lookup = (who: Person, identifier: Record<string, unknown>) => who.client.api('POST', `${BOARD}/lookups`, { identifier });

  it('lets a worker post a warning that waits for a moderator, then screening finds it however the number is typed', async () => {
    const posted = await ana.client.api('POST', `${BOARD}/reviews`, warning({ anonymous: false }));
    assert.equal(posted.status, 201, posted.text);
    const review = posted.json.review;
    assert.equal(review.status, 'pending');
    assert.deepEqual(review.identifiers, [{ type: 'phone', platform: null, hint: '…30' }]);
    assert.equal((await lookup(bea, { type: 'phone', value: '+15550102030' })).json.warnings, 0, 'not before it is published');
    assert.equal((await bea.client.api('GET', `/reviews/${review.id}`)).status, 404);

    const queue = await mod.client.api('GET', '/review-queue');
    assert.ok(queue.json.pending.some((p: { review: { id: string }; author: string }) => p.review.id === review.id && p.author === ana.handle), 'the held review is queued');
    await publish(review.id);

    for (const typed of ['555 010 2030', '+15550102030', '+1 (555) 010-2030', '(555) 010-2030', '1-555-010-2030']) {
      const found = await lookup(bea, { type: 'phone', value: typed });
      assert.equal(found.status, 200, found.text);
      assert.equal(found.json.warnings, 1, typed);
      assert.deepEqual(found.json.categories, { violence: 1, non_payment: 1 });
      assert.match(found.json.reviews[0].html, /violent/);
      assert.equal(found.headers.get('cache-control'), 'no-store');
    }
    assert.equal((await lookup(bea, { type: 'phone', value: '555 010 2031' })).json.warnings, 0);

    const corroborated = await bea.client.api('POST', `/reviews/${review.id}/responses`, { kind: 'corroborate', note: 'Same man, same car.' });
    assert.equal(corroborated.status, 201);
    const vouch = await cat.client.api('POST', `/reviews/${review.id}/responses`, { kind: 'counter_vouch', note: 'He was fine with me.' });
    assert.equal(vouch.status, 201);
    const after = await lookup(cat, { type: 'phone', value: '5550102030' });
    assert.equal(after.json.corroborations, 1);
    assert.equal(after.json.counterVouches, 1);
    const page = await bea.client.api('GET', `/reviews/${review.id}`);
    assert.equal(page.json.responses.length, 2);
    assert.equal(page.json.review.body, undefined, 'only the author and moderators get the source');
  });

  it('matches e-mails and app handles in any case, and handles only on the same platform', async () => {
    const posted = await ana.client.api('POST', `${BOARD}/reviews`, warning({
      identifiers: [
        { type: 'email', value: ' Bad.Client@Example.COM ' },
        { type: 'handle', value: '@Creepy_Guy', platform: 'Telegram' },
      ],
    }));
    await publish(posted.json.review.id);
    assert.equal((await lookup(bea, { type: 'email', value: 'bad.client@example.com' })).json.warnings, 1);
    assert.equal((await lookup(bea, { type: 'handle', value: 'creepy_guy', platform: 'telegram' })).json.warnings, 1);
    assert.equal((await lookup(bea, { type: 'handle', value: 'creepy_guy', platform: 'whatsapp' })).json.warnings, 0);
  });

  it('keeps no raw identifier anywhere in the database files, in any form', async () => {
    await lookup(bea, { type: 'phone', value: '+1 555 010 2030' });
    await inst.parasol.ctx.store.sweepExpired();
    const disk = fs
      .readdirSync(inst.dataDir)
      .map((f) => fs.readFileSync(path.join(inst.dataDir, f)).toString('latin1'))
      .join('\n');
    for (const form of ['5550102030', '15550102030', '555-010-2030', '555 010 2030', '0102030', '010-2030', 'bad.client', 'Bad.Client', 'creepy_guy', 'Creepy_Guy']) {
      assert.ok(!disk.includes(form), `found "${form}" on disk`);
    }
    const utf16 = Buffer.from('5550102030', 'utf16le').toString('latin1');
    assert.ok(!disk.includes(utf16), 'the identifier is not on disk in UTF-16 either');
  });

  it('posts a vouch with a rating; it is shown to members only', async () => {
    const posted = await cat.client.api('POST', `${BOARD}/reviews`, {
      kind: 'vouch',
      rating: 5,
      incidentMonth: '2026-09',
      body: 'Polite, paid, respectful.',
      identifiers: [{ type: 'phone', value: '555 010 2030' }],
    });
    assert.equal(posted.status, 201);
    await publish(posted.json.review.id);
    const found = await lookup(bea, { type: 'phone', value: '+15550102030' });
    assert.equal(found.json.vouches, 1);
    assert.equal(found.json.warnings, 1);
    assert.equal((await new Client(inst.url).api('POST', `${BOARD}/lookups`, { identifier: { type: 'phone', value: '5550102030' } })).status, 401);
    assert.equal((await new Client(inst.url).api('GET', `${BOARD}/reviews`)).status, 401);
    const list = await bea.client.api('GET', `${BOARD}/reviews?kind=vouch`);
    assert.ok(list.json.reviews.every((r: { kind: string }) => r.kind === 'vouch'), 'only vouches are listed');
  });

  describe('bad input', () => {
    const countReviews = () => inst.parasol.ctx.store.collection(reviewsCollection).count();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['an unparseable phone number', warning({ identifiers: [{ type: 'phone', value: 'call me maybe' }] }), /not a phone number.*\+44 7700 900123.*United States/],
      ['neither identifier nor description', warning({ identifiers: [], descriptors: '' }), /phone, e-mail or app name, or a description/],
      ['an unknown category', warning({ categories: ['rude'] }), /Choose one of/],
      ['a warning without category', warning({ categories: [] }), /Choose what happened/],
      ['an unknown area', warning({ area: 'atlantis' }), /areas in the list/],
      ['a text over 8,000 characters', warning({ body: 'x'.repeat(8001) }), /At most 8000/],
      ['a month in the future', warning({ incidentMonth: '2999-01' }), /not happened yet/],
      ['a badly written month', warning({ incidentMonth: 'October' }), /2026-03/],
      ['a vouch without rating', { kind: 'vouch', incidentMonth: '2026-01', body: 'ok', descriptors: 'x' }, /needed/],
      ['a handle without platform', warning({ identifiers: [{ type: 'handle', value: 'someone' }] }), /which app/],
    ];
    for (const [label, body, message] of cases) {
      it(`refuses a review with ${label}, clearly, and stores nothing`, async () => {
        const before = await countReviews();
        const reply = await ana.client.api('POST', `${BOARD}/reviews`, body);
        assert.equal(reply.status, 422, reply.text);
        const text = [reply.json.error.message, ...Object.values(reply.json.error.fields ?? {})].join(' ');
        assert.match(text, message);
        assert.equal(await countReviews(), before);
      });
    }

    it('refuses a look-up or a review from a member waiting for approval', async () => {
      await boss.client.api('PATCH', '/admin/settings', { registrationMode: 'approval' });
      const waiting = new Client(inst.url);
      await waiting.api('POST', '/accounts', { handle: 'waiting_one', passphrase: PASS, answer: 'a friend' });
      await boss.client.api('PATCH', '/admin/settings', { registrationMode: 'open' });
      assert.equal((await waiting.api('POST', `${BOARD}/lookups`, { identifier: { type: 'phone', value: '5550102030' } })).status, 403);
      assert.equal((await waiting.api('POST', `${BOARD}/reviews`, warning())).status, 403);
    });

    it('refuses answering your own review, answering twice, and a dispute without a note', async () => {
      const posted = await ana.client.api('POST', `${BOARD}/reviews`, warning({ identifiers: [{ type: 'phone', value: '+44 7700 900123' }] }));
      const id = posted.json.review.id;
      await publish(id);
      assert.equal((await ana.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate' })).status, 422);
      assert.equal((await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'dispute' })).status, 422);
      assert.equal((await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'corroborate' })).status, 201);
      assert.equal((await bea.client.api('POST', `/reviews/${id}/responses`, { kind: 'dispute', note: 'changed my mind' })).status, 409);
    });
  });

  it('lets the author correct (checked again) and retract (deleted with its digests)', async () => {
    const posted = await ana.client.api('POST', `${BOARD}/reviews`, warning({ identifiers: [{ type: 'email', value: 'retract.me@example.org' }] }));
    const id = posted.json.review.id;
    await publish(id);
    assert.equal((await bea.client.api('PATCH', `/reviews/${id}`, { body: 'hijack' })).status, 403);
    const corrected = await ana.client.api('PATCH', `/reviews/${id}`, { body: 'Corrected account of events.' });
    assert.equal(corrected.json.review.status, 'pending');
    await publish(id);
    assert.equal((await bea.client.api('DELETE', `/reviews/${id}`)).status, 403);
    assert.equal((await ana.client.api('DELETE', `/reviews/${id}`)).status, 204);
    assert.equal((await lookup(bea, { type: 'email', value: 'retract.me@example.org' })).json.warnings, 0);
    assert.equal(await inst.parasol.ctx.store.collection(digestsCollection).count({ reviewId: id }), 0);
  });

  it('lets a moderator ask a question, the author answer, and reject with a reason only the author sees', async () => {
    // Signed, so that the question is a notification of hers (an anonymous author finds it on /review-questions).
    const posted = await ana.client.api('POST', `${BOARD}/reviews`, warning({ body: 'Named his wife Maria Lopez', anonymous: false }));
    const id = posted.json.review.id;
    assert.equal((await ana.client.api('POST', `/reviews/${id}/moderation`, { action: 'publish' })).status, 403);
    assert.equal((await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'ask', question: 'When did this happen?' })).status, 200);
    const notified = await ana.client.api('GET', '/notifications');
    assert.ok(notified.json.notifications.some((n: { kind: string; url: string }) => n.kind === 'review_question' && n.url === `/r/${id}`), 'the author is told of the question');
    assert.equal((await ana.client.api('POST', `/reviews/${id}/answer`, { answer: 'Last week' })).status, 200);
    const edited = await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'edit', body: 'Named a third person (removed by a moderator)' });
    assert.doesNotMatch(edited.json.review.html, /Maria/);
    assert.equal((await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'reject' })).status, 422);
    const rejected = await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'reject', reason: 'Not enough detail' });
    assert.equal(rejected.json.review.status, 'rejected');
    const own = await ana.client.api('GET', `/reviews/${id}`);
    assert.equal(own.json.review.rejectReason, 'Not enough detail');
    assert.equal((await bea.client.api('GET', `/reviews/${id}`)).status, 404);
  });

  it('posts a warning anonymously unless the member signs it; a vouch is named unless asked', async () => {
    const quiet = await ana.client.api('POST', `${BOARD}/reviews`, warning({ body: 'Quietly warned.', identifiers: [{ type: 'phone', value: '+44 7700 900111' }] }));
    assert.equal(quiet.status, 201, quiet.text);
    const queue = (await mod.client.api('GET', '/review-queue')).json.pending as { review: { id: string }; author: string | null }[];
    assert.equal(queue.find((p) => p.review.id === quiet.json.review.id)?.author, null, 'not even the moderator sees who wrote it');
    const vouch = await bea.client.api('POST', `${BOARD}/reviews`, { kind: 'vouch', rating: 5, incidentMonth: '2026-10', body: 'Kind and paid.', identifiers: [{ type: 'phone', value: '+44 7700 900112' }] });
    assert.equal(vouch.status, 201, vouch.text);
    const again = (await mod.client.api('GET', '/review-queue')).json.pending as { review: { id: string }; author: string | null }[];
    assert.equal(again.find((p) => p.review.id === vouch.json.review.id)?.author, bea.handle);
    assert.equal((await ana.client.api('POST', `${BOARD}/reviews`, warning({ anonymous: 'perhaps' }))).status, 422);
    for (const id of [quiet.json.review.id, vouch.json.review.id]) await mod.client.api('POST', `/reviews/${id}/moderation`, { action: 'reject', reason: 'test' });
  });

  it('keeps the author anonymous to members when they ask', async () => {
    const posted = await ana.client.api('POST', `${BOARD}/reviews`, warning({ anonymous: true, identifiers: [{ type: 'phone', value: '+44 7700 900456' }] }));
    const queue = await mod.client.api('GET', '/review-queue');
    const held = queue.json.pending.find((p: { review: { id: string } }) => p.review.id === posted.json.review.id);
    assert.ok(held, 'the anonymous review is queued');
    assert.equal(held.author, null, 'the moderator is not told who wrote it');
    assert.doesNotMatch(JSON.stringify(held), new RegExp(`${ana.handle}|${ana.id}`));
    await publish(posted.json.review.id);
    const seen = await lookup(bea, { type: 'phone', value: '+447700900456' });
    assert.deepEqual(seen.json.reviews[0].author, { kind: 'anonymous' });
    assert.doesNotMatch(seen.text, new RegExp(ana.handle));
  });

  it('publishes a trusted member’s review at once, and tells subscribers of an urgent warning in their area', async () => {
    const area = await boss.client.api('POST', '/areas', { name: 'Harbour district' });
    assert.equal(area.status, 201);
    assert.equal((await ana.client.api('POST', '/areas', { name: 'Mine' })).status, 403);
    assert.equal((await bea.client.api('PUT', '/me/urgent-areas', { areaIds: [area.json.area.id] })).status, 200);
    assert.equal((await bea.client.api('PUT', '/me/urgent-areas', { areaIds: ['nowhere'] })).status, 422);
    assert.equal((await boss.client.api('PUT', `/admin/accounts/${cat.handle}/trusted`, { trusted: true })).status, 200);
    const posted = await cat.client.api('POST', `${BOARD}/reviews`, warning({ severity: 'urgent', area: area.json.area.id, identifiers: [{ type: 'phone', value: '+44 7700 900789' }] }));
    assert.equal(posted.json.review.status, 'published');
    const notes = await bea.client.api('GET', '/notifications');
    assert.ok(notes.json.notifications.some((n: { kind: string; url: string }) => n.kind === 'urgent_warning' && n.url === `/r/${posted.json.review.id}`), 'a subscriber is told');
    const banner = await bea.client.get('/');
    assert.match(banner.text, /new notification/);
    assert.doesNotMatch(banner.text, /violent|Harbour/, 'the banner itself is neutral');
    const byArea = await bea.client.api('GET', `${BOARD}/reviews?area=${area.json.area.id}`);
    assert.equal(byArea.json.reviews.length, 1);
  });

  it('limits reviews per day and screening look-ups per member', async () => {
    const limited = await startInstance({
      env: { REVIEWS_PER_DAY: '1' },
      config: (c) => ({ ...c, rateLimits: { ...c.rateLimits, lookup: { perKey: 2, overall: 100, windowSeconds: 3600 } } }),
    });
    try {
      const who = await member(limited, 'limited');
      assert.equal((await who.client.api('POST', `${BOARD}/reviews`, warning())).status, 201);
      const second = await who.client.api('POST', `${BOARD}/reviews`, warning());
      assert.equal(second.status, 429);
      assert.equal(second.json.error.code, 'review_limit');
      for (let i = 0; i < 2; i++) assert.equal((await lookup(who, { type: 'phone', value: '5550102030' })).status, 200);
      assert.equal((await lookup(who, { type: 'phone', value: '5550102030' })).status, 429);
    } finally {
      await limited.close();
    }
  });

  it('deletes reviews when they expire, unless a corroboration renewed them', async () => {
    const { store } = inst.parasol.ctx;
    const lifetime = inst.parasol.ctx.config.reviews.lifetimeMs;
    const lone = await ana.client.api('POST', `${BOARD}/reviews`, warning({ identifiers: [{ type: 'phone', value: '+44 7700 900111' }] }));
    await publish(lone.json.review.id);
    const renewed = await ana.client.api('POST', `${BOARD}/reviews`, warning({ identifiers: [{ type: 'phone', value: '+44 7700 900222' }] }));
    await publish(renewed.json.review.id);
    const reviews = store.collection(reviewsCollection);
    const digests = store.collection(digestsCollection);
    // Both reviews are a minute from the end of their lifetime.
    const soon = Date.now() + 60_000;
    for (const id of [lone.json.review.id, renewed.json.review.id]) {
      await reviews.patch(id, { expiresAt: soon });
      for (const d of (await digests.find({ where: { reviewId: id }, limit: 10 })).items) await digests.patch(d.id, { expiresAt: soon });
    }
    await bea.client.api('POST', `/reviews/${renewed.json.review.id}/responses`, { kind: 'corroborate' });
    await store.sweepExpired(Date.now() + 120_000);
    assert.equal(await reviews.get(lone.json.review.id), null);
    assert.equal(await digests.count({ reviewId: lone.json.review.id }), 0);
    assert.ok(await reviews.get(renewed.json.review.id), 'the corroborated review is kept');
    assert.ok((await reviews.get(renewed.json.review.id))!.expiresAt > Date.now() + lifetime - 60_000, 'the corroborated review lives a full lifetime again');
    assert.equal((await lookup(cat, { type: 'phone', value: '+447700900111' })).json.warnings, 0);
    assert.equal((await lookup(cat, { type: 'phone', value: '+447700900222' })).json.warnings, 1);
  });

  it('exports a member’s own reviews only; on deletion removes them, or keeps them without an author', async () => {
    const { store } = inst.parasol.ctx;
    const leaver = await member(inst, 'leaver');
    const keeper = await member(inst, 'keeper');
    const gone = (await leaver.client.api('POST', `${BOARD}/reviews`, warning({ body: 'Delete me with my account.' }))).json.review;
    const kept = (await keeper.client.api('POST', `${BOARD}/reviews`, warning({ body: 'Keep me without my name.', anonymous: false }))).json.review;
    await publish(gone.id);
    await publish(kept.id);
    await keeper.client.api('POST', `/reviews/${gone.id}/responses`, { kind: 'corroborate' });

    const data = await leaver.client.api('GET', '/me/export');
    assert.equal(data.status, 200, data.text);
    assert.ok(data.json.reviews.some((r: { id: string; body: string }) => r.id === gone.id && r.body === 'Delete me with my account.'), 'the export holds my review');
    assert.ok(!data.text.includes('Keep me without my name.'), 'the export holds no one else’s review');

    assert.equal((await leaver.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
    assert.equal((await keeper.client.api('DELETE', '/me', { passphrase: PASS, content: 'keep_anonymous' })).status, 204);
    assert.equal(await store.collection(reviewsCollection).get(gone.id), null);
    assert.equal(await store.collection(digestsCollection).count({ reviewId: gone.id }), 0);
    const shown = await mod.client.api('GET', `/reviews/${kept.id}`);
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual(shown.json.review.author, { kind: 'deleted' });
    assert.equal((await store.collection(reviewsCollection).get(kept.id))!.authorId, null);
  });
});
