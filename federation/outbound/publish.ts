import type { TxScope } from '../../server/store/port.js';
import type { PortApexStore } from '../apex-store.js';
import { PUBLIC } from '../as.js';
import type { Apex, ApexActivity, ApexActor, ApexObject } from '../apex-types.js';

/** An activity built in apex's two shapes, ready for publishBuilt. */
export interface BuiltActivity {
  /** What apex's fromJSONLD would make of it: the form apex stores and addresses. */
  readonly activity: ApexActivity;
  /** What is delivered: the activity compacted as apex's toJSONLD would (an Announce's object as given). */
  readonly body: string;
}

/**
 * A Group's Announce of an activity, to the public and its followers, built
 * directly in the two shapes apex works with instead of read as JSON-LD twice
 * (fromJSONLD to store it, toJSONLD to send it): with a follower's reply
 * announced for every reply, the two readings were a sixth of the inbox's
 * time. The envelope is fixed and only holds IRIs and a date, so its shapes
 * are known (test/federation/announce.test.ts holds them equal to apex's).
 * `object` is sent exactly as given, its own @context included, so that the
 * author's activity reaches followers as the author wrote it; `stored` is
 * what the store keeps embedded (apex's reading of it, or the same object).
 */
export function groupAnnounce(apex: Apex, group: ApexActor, fields: { id: string; object: Record<string, unknown>; stored: ApexObject; published: Date }): BuiltActivity {
  const followers = group.followers[0]!;
  // Stored as apex's context compacts the public collection (the form its addressing skips), sent in full.
  const { publicAddress } = apex.consts;
  const published = fields.published.toISOString();
  const activity: ApexActivity = {
    id: fields.id,
    type: 'Announce',
    actor: [group.id],
    audience: [group.id],
    cc: [followers],
    object: [fields.stored],
    published: [published],
    to: [publicAddress],
  };
  const body = JSON.stringify({
    '@context': apex.context,
    id: fields.id,
    type: 'Announce',
    actor: group.id,
    audience: group.id,
    cc: followers,
    object: fields.object,
    published,
    to: PUBLIC,
  });
  return { activity, body };
}

/**
 * apex's addToOutbox for an activity already in both shapes: added to the
 * actor's outbox, addressed (followers' inboxes, de-duplicated by shared
 * inbox), and stored and queued with `body` as it is, in one transaction with
 * the caller's `also`.
 */
export async function publishBuilt(apex: Apex, store: PortApexStore, actor: ApexActor, built: BuiltActivity, also?: (tx: TxScope) => Promise<unknown>): Promise<void> {
  const { activity, body } = built;
  activity._meta = { collection: [actor.outbox[0]!] };
  const addresses = await apex.address(activity, actor);
  await store.publish(activity, { actorId: actor.id, body, addresses }, also);
}
