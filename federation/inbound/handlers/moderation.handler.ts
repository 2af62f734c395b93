import type { RequestHandler } from 'express';
import type { ApexObject } from '../../apex-types.js';
import { first, idOf } from '../../as.js';
import type { Iris } from '../../iris.js';
import { InboxRefusal } from '../refusal.js';

/**
 * Lock, Add and Remove (and the Undo of a Lock) sent straight to us: Lemmy's and Mbin's moderators lock a thread,
 * pin it (Add to the Group's `featured`) or change the moderators with them. Our boards' moderators are accounts of
 * this instance only (a board cannot list a moderator of another server), so a remote actor's moderation of one of
 * our boards, of its posts or of its collections is refused (403 `not_board_moderator`, logged with that reason)
 * and changes nothing. A followed board's own moderation comes announced by its Group (announce.handler.ts); any
 * other such activity goes on to apex's inbox.
 */
export function moderationHandler(iris: Iris): RequestHandler {
  return (req, res, next) => {
    const activity = req.body as Record<string, unknown>;
    const inner = first(activity.object);
    const undoneLock = activity.type === 'Undo' && !!inner && typeof inner === 'object' && (inner as { type?: unknown }).type === 'Lock';
    if (activity.type === 'Undo' && !undoneLock) {
      next();
      return;
    }
    const target = (res.locals as { apex?: { target?: ApexObject } }).apex?.target;
    const named = [undoneLock ? idOf((inner as { object?: unknown }).object) : idOf(inner), idOf(activity.target), idOf(activity.audience)];
    const atBoard = !!target && iris.parseActor(target.id)?.kind === 'board';
    if (atBoard || named.some((iri) => iri !== null && iris.isLocal(iri))) {
      next(new InboxRefusal(403, 'not_board_moderator'));
      return;
    }
    next();
  };
}
