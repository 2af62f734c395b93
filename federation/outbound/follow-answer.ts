import type { BuiltActivity } from './publish.js';
import type { Apex, ApexActivity, ApexActor } from '../apex-types.js';

/**
 * A Group's Accept or Reject of a Follow, built directly in apex's two
 * shapes (see groupAnnounce) instead of by apex's buildActivity and
 * toJSONLD: two readings of JSON-LD for every new follower, and followers
 * arrive by the thousand when a partner instance's members find a board. It
 * holds IRIs, a date and a bare copy of the Follow (as followStub makes it),
 * so its shapes are known (test/federation/follow-answer.test.ts holds them
 * equal to apex's). Like the Announce, it carries no likes or shares
 * collections: nobody likes an Accept.
 */
export function followAnswer(apex: Apex, group: ApexActor, type: 'Accept' | 'Reject', follow: ApexActivity, follower: ApexActor, published: Date): BuiltActivity {
  const id = apex.utils.activityIdToIRI(apex.store.generateId());
  const when = published.toISOString();
  const stub = { id: follow.id, type: 'Follow', actor: follower.id, object: group.id };
  const activity: ApexActivity = {
    id,
    type,
    actor: [group.id],
    object: [{ id: stub.id, type: stub.type, actor: [stub.actor], object: [stub.object] }],
    published: [when],
    to: [follower.id],
  };
  const body = JSON.stringify({ '@context': apex.context, id, type, actor: group.id, object: stub, published: when, to: follower.id });
  return { activity, body };
}
