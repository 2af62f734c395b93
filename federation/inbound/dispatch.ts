import type { RequestHandler } from 'express';
import type { AccountMoves } from '../moves.js';
import type { AccountDeletions } from './account-deletion.js';
import type { RegionalNetwork } from '../network.js';
import type { FollowsService } from '../remote-boards/follows.js';
import type { RemoteMirror } from '../remote-boards/mirror.js';
import { acceptHandler } from './handlers/accept.handler.js';
import { announceHandler } from './handlers/announce.handler.js';
import { createHandler } from './handlers/create.handler.js';
import { deleteHandler } from './handlers/delete.handler.js';
import { flagHandler } from './handlers/flag.handler.js';
import { followHandler, type FollowHandlerDeps } from './handlers/follow.handler.js';
import { likeHandler } from './handlers/like.handler.js';
import { moderationHandler } from './handlers/moderation.handler.js';
import { moveHandler } from './handlers/move.handler.js';
import { rejectHandler } from './handlers/reject.handler.js';
import { undoHandler } from './handlers/undo.handler.js';
import { updateHandler } from './handlers/update.handler.js';
import type { AfterApex, InboxEvent } from './inbox-event.js';
import { partnerObjects } from './partner-objects.js';
import type { RemoteRestores } from './restores.js';
import type { Iris } from '../iris.js';

export interface InboundDeps {
  /** Shared reviews and partnerships between partner instances. */
  readonly network: RegionalNetwork;
  /** Remote members' posts, edits, deletions, reactions and reports (contributions.ts, its inbox step). */
  readonly contributions: RequestHandler;
  /** Remote accounts' deletions of themselves. */
  readonly deletions: AccountDeletions;
  /** Announces from the remote boards we follow. */
  readonly mirror: RemoteMirror;
  /** Account moves between partners. */
  readonly moves: AccountMoves;
  /** Restores (Undo of a Delete) of remote accounts and of their posts here. */
  readonly restores: RemoteRestores;
  readonly follow: FollowHandlerDeps;
  readonly iris: Iris;
}

/** `a`, then `b` when `a` passes the request on. */
const chain =
  (a: RequestHandler, b: RequestHandler): RequestHandler =>
  (req, res, next) =>
    a(req, res, (error?: unknown) => (error ? next(error) : b(req, res, next)));

/**
 * Hands an activity that passed the inbox gate to the handler of its type
 * (handlers/<type>.handler.ts). Parasol's own vocabulary between partner
 * instances (a review, a partnership) is recognised by its object, whatever
 * the activity, so it is taken first (partner-objects.ts). A handler answers
 * what it takes; what it leaves, and every type without a handler, goes on
 * to apex's inbox.
 */
export function inboundActivities(deps: InboundDeps): RequestHandler {
  const moderation = moderationHandler(deps.iris);
  const handlers: Readonly<Record<string, RequestHandler>> = {
    Create: createHandler(deps.contributions),
    Update: updateHandler(deps.contributions),
    Delete: deleteHandler(deps.contributions, deps.deletions),
    Like: likeHandler(deps.contributions),
    EmojiReact: likeHandler(deps.contributions),
    Undo: chain(moderation, undoHandler(deps.contributions, deps.restores)),
    Lock: moderation,
    Add: moderation,
    Remove: moderation,
    Flag: flagHandler(deps.contributions),
    Announce: announceHandler(deps.mirror),
    Move: moveHandler(deps.moves),
    Follow: followHandler(deps.follow),
  };
  const partners = partnerObjects(deps.network);
  return (req, res, next) => {
    partners(req, res, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      // compactActivity has made the type a single string.
      const type = (req.body as { type: string }).type;
      const handler = Object.hasOwn(handlers, type) ? handlers[type] : undefined;
      if (handler) handler(req, res, next);
      else next();
    });
  };
}

/**
 * What follows an activity once apex's inbox has stored it and made its own
 * changes (the answers to the instance's Follows, which need the Follow apex
 * looked up); apex announces each such activity after the response is sent.
 */
export function afterApex(follows: FollowsService): AfterApex {
  const handlers: Readonly<Record<string, AfterApex>> = {
    Accept: acceptHandler(follows),
    Reject: rejectHandler(follows),
  };
  return (event: InboxEvent) => {
    const type = event.activity.type;
    return Object.hasOwn(handlers, type) ? handlers[type]!(event) : Promise.resolve();
  };
}
