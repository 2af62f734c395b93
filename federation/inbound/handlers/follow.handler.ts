import type { RequestHandler } from 'express';
import type { Logger } from '../../../server/logger.js';
import type { Actors } from '../../actors/actors.js';
import { deliveryInbox } from '../../apex.js';
import type { PortApexStore } from '../../apex-store.js';
import type { Apex, ApexActivity, ApexActor } from '../../apex-types.js';
import { first, idOf } from '../../as.js';
import { followAnswer } from '../../outbound/follow-answer.js';
import { InboxRefusal } from '../refusal.js';
import { senderOf } from '../request.js';
import type { Iris } from '../../iris.js';

export interface FollowHandlerDeps {
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly logger: Logger;
}

/**
 * A remote actor asks to follow a board's Group or one of the instance's own
 * actors (the instance actor, its Persons, a board's anonymous member).
 * apex would store the Follow and never answer it, so Follows of these actors
 * are taken here, after the inbox gate and before apex's inbox: a public,
 * open board's Group accepts and lists the follower; an archived board, and
 * the instance's own actors, reject. The Follow, the follower's place in the list and
 * the answer are kept in one transaction before the sender gets its 200, so a
 * crash can no longer keep a Follow that was never answered. apex's
 * accompanying Update of the followers collection to every follower is not
 * sent: it costs a delivery per follower for every new one, which Mastodon
 * and Lemmy neither send nor need. Follows of members go on to apex, which
 * keeps them for the member features that will answer them.
 */
export function followHandler(deps: FollowHandlerDeps): RequestHandler {
  const { apex, apexStore, actors, iris, logger } = deps;

  async function answer(follow: ApexActivity, recipient: ApexActor, slug: string | null, follower: ApexActor): Promise<void> {
    const board = slug === null ? null : await actors.publicBoard(slug);
    const accepted = !!board && !board.archived;
    const built = followAnswer(apex, recipient, accepted ? 'Accept' : 'Reject', follow, follower, new Date());
    built.activity._meta = { collection: [recipient.outbox[0]!] };
    const inbox = deliveryInbox(follower);
    await apexStore.answerFollow(
      follow,
      { followers: recipient.followers[0]!, accepted },
      built.activity,
      { actorId: recipient.id, body: built.body, addresses: inbox ? [inbox] : [] },
    );
    logger.info({ host: new URL(follower.id).host, kind: slug === null ? 'instance' : 'board' }, accepted ? 'follow accepted' : 'follow rejected');
  }

  return (req, res, next) => {
    const follow = req.body as ApexActivity;
    const recipient = (res.locals as { apex: { target?: ApexActor } }).apex.target;
    const ref = recipient ? iris.parseActor(recipient.id) : null;
    if (follow.type !== 'Follow' || !recipient || !ref || ref.kind === 'member' || idOf(first(follow.object)) !== recipient.id) {
      next();
      return;
    }
    // The signer, whom actorOwnsKey held to be the Follow's actor; the signature check read its document.
    const follower = senderOf(res) as ApexActor | null;
    if (!follower) {
      next(new InboxRefusal(401, 'signature_missing'));
      return;
    }
    answer(follow, recipient, ref.kind === 'board' ? ref.slug : null, follower).then(() => res.status(200).end(), next);
  };
}
