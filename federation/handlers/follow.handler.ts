import type { Logger } from '../../server/logger.js';
import type { Actors } from '../actors.js';
import { publishBuilt } from '../announce.js';
import type { PortApexStore } from '../apex-store.js';
import type { Apex, ApexActivity, ApexActor } from '../apex-types.js';
import { followAnswer } from '../follow-answer.js';
import type { Iris } from '../iris.js';

export interface FollowHandlerDeps {
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
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
  const { apex, apexStore, actors, iris, logger } = deps;

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
      await publishBuilt(apex, apexStore, recipient, followAnswer(apex, recipient, 'Reject', follow, follower, new Date()));
      logger.info({ host, kind: ref.kind }, 'follow rejected');
      return;
    }
    // A repeated Follow (the follower lost track of the first) replaces the earlier one, so each follower counts once.
    if (earlier && earlier.id !== follow.id) await apex.store.updateActivityMeta(earlier, 'collection', followers, true);
    // apex's accompanying task (an Update of the followers collection to every follower) is not run: it costs
    // a delivery per follower for every new one, which Mastodon and Lemmy neither send nor need.
    await apex.acceptFollow(recipient, follow);
    await publishBuilt(apex, apexStore, recipient, followAnswer(apex, recipient, 'Accept', follow, follower, new Date()));
    logger.info({ host, kind: ref.kind }, 'follow accepted');
  };
}
