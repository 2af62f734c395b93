import assert from 'node:assert/strict';
import type { PortApexStore } from '../../federation/apex-store.js';
import type { Apex, ApexActivity, ApexActor } from '../../federation/apex-types.js';
import { seedContextCache } from '../../federation/contexts.js';
import { followAnswer } from '../../federation/outbound/follow-answer.js';
import type { Store } from '../../server/store/port.js';
import { openTestApex } from './apex-harness.js';

const BASE = 'https://parasol.example';
const GROUP = `${BASE}/ap/b/general`;
const KIM = 'https://remote.example/u/kim';

describe('a Group’s answer to a Follow built without reading JSON-LD', () => {
  let store: Store;
  let apex: Apex;
  const group = { id: GROUP, type: 'Group', followers: [`${GROUP}/followers`], outbox: [`${GROUP}/outbox`], inbox: [`${GROUP}/inbox`] } as unknown as ApexActor;
  const follower = { id: KIM, type: 'Person', inbox: [`${KIM}/inbox`] } as unknown as ApexActor;
  const published = new Date('2026-12-03T12:00:00.000Z');
  /** The Follow as apex hands it to the handler: read as JSON-LD, with its bookkeeping. */
  let follow: ApexActivity;
  /** What apex's buildActivity is given for the same answer (less the likes and shares it adds). */
  const envelope = (id: string, type: string) => ({
    '@context': apex.context,
    id,
    type,
    actor: GROUP,
    to: [KIM],
    object: { id: 'https://remote.example/follows/1', type: 'Follow', actor: KIM, object: GROUP },
    published: published.toISOString(),
  });

  before(async () => {
    let apexStore: PortApexStore;
    ({ store, apexStore, apex } = await openTestApex(BASE));
    await seedContextCache(apexStore);
    follow = (await apex.fromJSONLD({ '@context': 'https://www.w3.org/ns/activitystreams', id: 'https://remote.example/follows/1', type: 'Follow', actor: KIM, object: GROUP })) as ApexActivity;
    follow._meta = { collection: [`${GROUP}/inbox`] };
  });
  after(async () => store.close());

  for (const type of ['Accept', 'Reject'] as const) {
    it(`stores and sends the ${type} as apex reads and writes it`, async () => {
      const built = followAnswer(apex, group, type, follow, follower, published);
      assert.match(built.activity.id, new RegExp(`^${BASE}/ap/s/[0-9a-f]{24}$`), 'an activity IRI of apex’s kind');
      const read = await apex.fromJSONLD(envelope(built.activity.id, type));
      assert.deepEqual(built.activity, read);
      assert.deepEqual(JSON.parse(built.body), await apex.toJSONLD(read));
      // Addressed to the follower only.
      assert.deepEqual(apex.audienceFromActivity(built.activity), [KIM]);
    });
  }

  it('gives each answer an id of its own', () => {
    const ids = new Set(Array.from({ length: 20 }, () => followAnswer(apex, group, 'Accept', follow, follower, published).activity.id));
    assert.equal(ids.size, 20);
  });
});
