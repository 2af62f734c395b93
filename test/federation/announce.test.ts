import assert from 'node:assert/strict';
import { groupAnnounce } from '../../federation/outbound/publish.js';
import type { PortApexStore } from '../../federation/apex-store.js';
import type { Apex, ApexActor } from '../../federation/apex-types.js';
import { seedContextCache } from '../../federation/contexts.js';
import type { Store } from '../../server/store/port.js';
import { openTestApex } from './apex-harness.js';

const BASE = 'https://parasol.example';
const GROUP = `${BASE}/ap/b/general`;

describe('a Group’s Announce built without reading JSON-LD', () => {
  let store: Store;
  let apex: Apex;
  const group = { id: GROUP, type: 'Group', followers: [`${GROUP}/followers`], outbox: [`${GROUP}/outbox`], inbox: [`${GROUP}/inbox`] } as unknown as ApexActor;
  // A remote member's reply as it arrived, with a context of its own and a term only that context defines.
  const inner = {
    '@context': ['https://www.w3.org/ns/activitystreams', { lemmy: 'https://join-lemmy.org/ns#', distinguished: 'lemmy:distinguished' }],
    id: 'https://remote.example/activities/create/1',
    type: 'Create',
    actor: 'https://remote.example/u/kim',
    to: ['https://www.w3.org/ns/activitystreams#Public', GROUP],
    audience: GROUP,
    object: {
      id: 'https://remote.example/comment/1',
      type: 'Note',
      attributedTo: 'https://remote.example/u/kim',
      content: '<p>Thank you for this</p>',
      inReplyTo: `${BASE}/ap/o/abc`,
      distinguished: false,
      audience: GROUP,
    },
  };
  const id = `${BASE}/ap/s/announce-create-abc`;
  const published = new Date('2026-12-03T12:00:00.000Z');
  const envelope = (object: unknown) => ({
    '@context': apex.context,
    id,
    type: 'Announce',
    actor: GROUP,
    to: ['https://www.w3.org/ns/activitystreams#Public'],
    cc: [`${GROUP}/followers`],
    audience: GROUP,
    object,
    published: published.toISOString(),
  });

  before(async () => {
    let apexStore: PortApexStore;
    ({ store, apexStore, apex } = await openTestApex(BASE));
    await seedContextCache(apexStore);
  });
  after(async () => store.close());

  it('stores the envelope as apex’s fromJSONLD reads it, with the object embedded as given', async () => {
    const stored = await apex.fromJSONLD(structuredClone(inner));
    const built = groupAnnounce(apex, group, { id, object: inner, stored, published });
    const read = await apex.fromJSONLD(envelope(inner.id));
    assert.deepEqual({ ...built.activity, object: read.object }, read);
    assert.deepEqual(built.activity.object, [stored]);
    // Its audience is what apex addresses: the public collection in the form apex skips, the followers and the Group.
    assert.deepEqual(apex.audienceFromActivity(built.activity).sort(), [apex.consts.publicAddress, `${GROUP}/followers`, GROUP].sort());
  });

  it('sends the envelope as apex’s toJSONLD writes it, the public collection in full, and the author’s activity unchanged, its context included', async () => {
    const built = groupAnnounce(apex, group, { id, object: inner, stored: inner, published });
    const sent = JSON.parse(built.body) as Record<string, unknown>;
    const written = await apex.toJSONLD(await apex.fromJSONLD(envelope(inner.id)));
    assert.deepEqual({ ...sent, object: written.object }, JSON.parse(apex.stringifyPublicJSONLD(written)));
    assert.equal(sent.to, 'https://www.w3.org/ns/activitystreams#Public');
    assert.deepEqual(sent.object, inner);
    // Read back as JSON-LD, the inner activity's own terms keep their meaning.
    const reread = await apex.fromJSONLD(sent);
    const note = (reread.object as { object: Record<string, unknown>[] }[])[0]!.object[0]!;
    assert.deepEqual(note['lemmy:distinguished'], [false]);
    assert.deepEqual(note.inReplyTo, [`${BASE}/ap/o/abc`]);
  });

  it('serves the stored Announce, with a remote activity embedded as it arrived, as valid JSON-LD', async () => {
    const built = groupAnnounce(apex, group, { id, object: inner, stored: inner, published });
    const served = await apex.toJSONLD(built.activity);
    const object = served.object as Record<string, unknown>;
    assert.equal(object.id, inner.id);
    assert.equal((object.object as Record<string, unknown>).content, '<p>Thank you for this</p>');
  });
});
