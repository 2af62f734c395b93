import type { Logger } from '../../server/logger.js';
import type { Actors } from '../actors.js';
import type { Apex, ApexActivity, ApexActor } from '../apex-types.js';
import { followStub } from '../follows.js';
import type { Iris } from '../iris.js';

export interface FollowHandlerDeps {
  readonly apex: Apex;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly logger: Logger;
}

/**
 * A remote actor asks to follow one of our actors. apex stores the Follow
 * but never answers it, so the answer is built here (FEP-1b12): a public,
 * open board's Group accepts, adds the follower and tells its followers the
 * new count; an archived board, and the instance actor, reject. Follows of
 * members wait for the member features that will answer them.
 */
export function createFollowHandler(deps: FollowHandlerDeps) {
  const { apex, actors, iris, logger } = deps;

  return async function onFollow(follow: ApexActivity, follower: ApexActor, recipient: ApexActor): Promise<void> {
    const target = Array.isArray(follow.object) ? follow.object[0] : undefined;
    const targetId = typeof target === 'string' ? target : target?.id;
    if (targetId !== recipient.id) return;
    const ref = iris.parseActor(recipient.id);
    if (!ref || ref.kind === 'member') return;
    const host = new URL(follower.id).host;

    let accept = false;
    if (ref.kind === 'board') {
      const board = await actors.publicBoard(ref.slug);
      accept = !!board && !board.archived;
    }
    const followers = recipient.followers[0]!;
    const earlier = await apex.store.findActivityByCollectionAndActorId(followers, follower.id, true);

    if (!accept) {
      if (earlier) await apex.store.updateActivityMeta(earlier, 'collection', followers, true);
      const reject = await apex.buildActivity('Reject', recipient.id, [follower.id], { object: followStub(follow) });
      await apex.addToOutbox(recipient, reject);
      logger.info({ host, kind: ref.kind }, 'follow rejected');
      return;
    }
    // A repeated Follow (the follower lost track of the first) replaces the earlier one, so each follower counts once.
    if (earlier && earlier.id !== follow.id) await apex.store.updateActivityMeta(earlier, 'collection', followers, true);
    const answer = await apex.buildActivity('Accept', recipient.id, [follower.id], { object: followStub(follow) });
    // apex's accompanying task (an Update of the followers collection to every follower) is not run: it costs
    // a delivery per follower for every new one, which Mastodon and Lemmy neither send nor need.
    await apex.acceptFollow(recipient, follow);
    await apex.addToOutbox(recipient, answer);
    logger.info({ host, kind: ref.kind }, 'follow accepted');
  };
}
