import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { signRequest } from '../../federation/signatures.js';
import { eventually, settled, startPeers, type Peer } from './instances.js';
import { Receiver, send, signedPost } from './receiver.js';


const BOARD = '/review-boards/client-screening';

/**
 * A regional network over real HTTP: A and B are partners and share the
 * screening board's secret; C is not a partner. A warning posted on A is
 * found by a look-up on B; C can neither read nor post to the network board.
 */
describe('a regional network: partners share screening warnings, others get nothing', function () {
  this.timeout(180_000);
  let a: Peer;
  let b: Peer;
  let c: Peer;
  const receiver = new Receiver();
  const secret = crypto.randomBytes(32).toString('base64');
  let reviewId = '';
  let reviewIri = '';

  const lookup = (peer: Peer, value: string) => peer.member.client.api('POST', `${BOARD}/lookups`, { identifier: { type: 'phone', value } });

  before(async () => {
    await receiver.start();
    [a, b, c] = (await startPeers(['na', 'nb', 'nc'])) as [Peer, Peer, Peer];
    for (const peer of [a, b]) {
      const shared = await peer.admin.client.api('PATCH', BOARD, { visibility: 'network', secret });
      assert.equal(shared.status, 200, shared.text);
    }
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(a?.output(), b?.output());
    await Promise.all([a?.dispose(), b?.dispose(), c?.dispose()]);
    await receiver.stop();
  });

  it('refuses bad partners with clear errors', async () => {
    const cases: [unknown, number][] = [
      [{ domain: 'no spaces.example' }, 422],
      [{ domain: a.host }, 422],
      [{ domain: '127.0.0.1:1' }, 422],
      [{ domain: b.host, extra: true }, 422],
    ];
    for (const [body, status] of cases) {
      const res = await a.admin.client.api('POST', '/federation/partners', body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
    }
    assert.equal((await a.member.client.api('POST', '/federation/partners', { domain: b.host })).status, 403);
    assert.deepEqual((await a.admin.client.api('GET', '/federation/partners')).json.partners, []);
  });

  it('A and B become partners; a warning posted on A before is found on B, however the number is typed', async () => {
    const posted = await a.admin.client.api('POST', `${BOARD}/reviews`, {
      kind: 'warning',
      categories: ['violence'],
      severity: 'high',
      incidentMonth: '2026-10',
      body: 'Hit a worker in **October**.',
      identifiers: [{ type: 'phone', value: '+1 (555) 010-2030' }],
    });
    assert.equal(posted.status, 201, posted.text);
    assert.equal(posted.json.review.status, 'published');
    reviewId = posted.json.review.id;
    reviewIri = `${a.url}/ap/r/${Buffer.from(reviewId, 'base64url').toString('hex')}`;

    for (const [peer, other] of [[a, b], [b, a]] as const) {
      const added = await peer.admin.client.api('POST', '/federation/partners', { domain: other.host });
      assert.equal(added.status, 201, added.text);
      assert.equal(added.json.partner.actor, `${other.url}/ap/instance`);
    }
    assert.equal((await a.admin.client.api('POST', '/federation/partners', { domain: b.host })).status, 409);

    // Look-ups are few per hour: wait until A has delivered everything, then look every 2 s (the sharing starts
    // once both sides have answered, which a fast look-up can overtake).
    await settled(a);
    const res = await eventually(async () => {
      const found = await lookup(b, '+15550102030');
      assert.equal(found.status, 200, found.text);
      assert.equal(found.json.warnings, 1, found.text);
      return found;
    }, 30_000, 2000);
    const found = res.json;
    assert.deepEqual(found.categories, { violence: 1 });
    const shown = found.reviews[0];
    assert.match(shown.html, /<strong>October<\/strong>/);
    assert.equal(shown.origin, a.host);
    // A warning is anonymous unless its author signs it, and no author crosses with it.
    assert.equal(shown.author.kind, 'anonymous');
    assert.deepEqual(shown.identifiers, [{ type: 'phone', platform: null, hint: '…30' }]);
    // No raw identifier crossed: B's answer and its stored copy hold only the hint.
    assert.doesNotMatch(JSON.stringify(found), /5550102030|010-2030/);
  });

  it('a correction on A reaches B, and a retraction removes it there', async () => {
    const corrected = await a.admin.client.api('PATCH', `/reviews/${reviewId}`, { body: 'Hit a worker in October; stole her phone.' });
    assert.equal(corrected.status, 200, corrected.text);
    // B keeps a delivered copy after answering A, so a look-up can overtake it: look again every 3 s (look-ups
    // are limited to 30 an hour per member, which three tests' retries stay under).
    await settled(a);
    await eventually(async () => {
      const after = await lookup(b, '5550102030');
      assert.match(after.json.reviews[0]?.html ?? '', /stole/, after.text);
    }, 30_000, 3000);
    assert.equal((await a.admin.client.api('DELETE', `/reviews/${reviewId}`)).status, 204);
    await settled(a);
    await eventually(async () => assert.equal((await lookup(b, '+15550102030')).json.warnings, 0, 'the retraction reached B'), 30_000, 3000);
  });

  it('serves a network review only to a partner’s signed fetch; C and strangers get 401 or 403 and no content', async () => {
    const again = await a.admin.client.api('POST', `${BOARD}/reviews`, {
      kind: 'vouch',
      rating: 5,
      incidentMonth: '2026-09',
      body: 'Respectful, paid in full.',
      identifiers: [{ type: 'phone', value: '+1 555 010 9999' }],
    });
    assert.equal(again.status, 201, again.text);
    reviewIri = `${a.url}/ap/r/${Buffer.from(again.json.review.id as string, 'base64url').toString('hex')}`;
    await settled(a);

    const unsigned = await fetch(reviewIri, { headers: { accept: 'application/activity+json' } });
    assert.equal(unsigned.status, 401);
    assert.doesNotMatch(await unsigned.text(), /Respectful/);

    const stranger = receiver.actor('stranger');
    const signed = signRequest({ method: 'GET', url: new URL(reviewIri), keyId: stranger.keyId, privateKeyPem: stranger.privateKeyPem });
    const refused = await fetch(reviewIri, { headers: { accept: 'application/activity+json', ...signed } });
    assert.equal(refused.status, 403);
    assert.doesNotMatch(await refused.text(), /Respectful/);

    // B sees it: the vouch reached B's board (pushed), and nothing of it is public on A's actor or WebFinger.
    assert.equal((await lookup(b, '5550109999')).json.vouches, 1);
    assert.equal((await lookup(c, '5550109999')).json.vouches, 0);
  });

  it('refuses shared reviews from a non-partner (403) and stores nothing', async () => {
    const stranger = receiver.actor('mallory');
    const forged = {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${stranger.id}/create/1`,
      type: 'Create',
      actor: stranger.id,
      to: [`${a.url}/ap/instance`],
      object: { id: `${receiver.url}/ap/r/00aa`, type: 'ParasolReview', attributedTo: stranger.id, review: {} },
    };
    const res = await send(signedPost(`${a.url}/ap/instance/inbox`, stranger, forged));
    assert.equal(res.status, 403, res.text);
    assert.match(res.text, /not_partner/);
    // A list of partners as C sees it: empty, and C's look-up finds nothing of A's.
    assert.deepEqual((await c.admin.client.api('GET', '/federation/partners')).json.partners, []);
    assert.equal((await lookup(c, '+15550102030')).json.warnings, 0);
  });
});
