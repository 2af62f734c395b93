import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, type Person } from '../helpers/people.js';
import { AppError } from '../../server/core/errors.js';

const BOARD = '/review-boards/client-screening';

/** The partner-sharing service on its own: what it accepts from a partner, what it keeps, and what it gives back. */
describe('partner sharing of reviews', () => {
  let inst: TestInstance;
  let boss: Person;
  const origin = { iri: 'https://partner.example/ap/r/0a1b2c', host: 'partner.example' };
  const incoming = (extra: Record<string, unknown> = {}) => ({
    board: 'client-screening',
    author: { name: 'Rosa', handle: 'rosa' },
    area: 'Harbour',
    kind: 'warning',
    categories: ['violence'],
    severity: 'high',
    rating: null,
    incidentMonth: '2026-10',
    incidentDay: null,
    html: '<p>Hit a worker.</p>',
    descriptors: 'Grey car',
    identifiers: [{ type: 'phone', platform: null, hint: '…30' }],
    digests: [crypto.randomBytes(32).toString('base64url')],
    corroborations: 0,
    counterVouches: 0,
    disputes: 0,
    publishedAt: Date.now(),
    updatedAt: Date.now(),
    expiresAt: Date.now() + 86_400_000,
    ...extra,
  });

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
  });
  after(async () => inst.close());

  const boardReviews = async () => {
    const reply = await boss.client.api('GET', `${BOARD}/reviews`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json.reviews as { id: string; origin: string | null; author: { kind: string; name?: string } }[];
  };

  it('refuses a shared review for a board that is not shared with the network', async () => {
    await assert.rejects(
      inst.parasol.ctx.reviewSharing.receive(origin, incoming()),
      (error: unknown) => error instanceof AppError && error.status === 404,
      'a members-only board takes nothing from partners',
    );
    assert.deepEqual(await boardReviews(), []);
  });

  it('validates what a partner sends, keeps a valid review once, and removes it when the partner takes it back', async () => {
    const shared = await boss.client.api('PATCH', BOARD, { visibility: 'network' });
    assert.equal(shared.status, 200, shared.text);
    const { reviewSharing } = inst.parasol.ctx;

    for (const bad of [incoming({ kind: 'rant' }), incoming({ digests: 'not a list' }), incoming({ extra: true }), null]) {
      await assert.rejects(
        reviewSharing.receive(origin, bad),
        (error: unknown) => error instanceof AppError && error.code === 'validation_failed',
        `refused: ${JSON.stringify(bad)}`,
      );
    }
    assert.deepEqual(await boardReviews(), [], 'nothing malformed is stored');

    await reviewSharing.receive(origin, incoming());
    await reviewSharing.receive(origin, incoming({ descriptors: 'Grey car, new plates' }));
    const kept = await boardReviews();
    assert.equal(kept.length, 1, 'sent again, it replaces the earlier copy');
    assert.equal(kept[0]!.origin, 'partner.example');
    assert.equal(kept[0]!.author.kind, 'remote');
    assert.equal(await reviewSharing.shared(kept[0]!.id), null, 'a partner’s review is never passed on');

    await reviewSharing.remove('https://partner.example/ap/r/ffff');
    assert.equal((await boardReviews()).length, 1, 'another IRI removes nothing');
    await reviewSharing.remove(origin.iri);
    assert.deepEqual(await boardReviews(), []);
  });
});
