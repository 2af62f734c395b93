import type { RequestHandler } from 'express';
import { idOf } from '../../as.js';
import type { AccountDeletions } from '../account-deletion.js';

/**
 * Delete. An account's deletion of itself (its actor is its object: Lemmy's
 * and Mastodon's account deletions) takes what it left here with it
 * (account-deletion.ts). A remote author's deletion of a post they wrote on
 * one of our boards is applied by RemoteContributions (contributions.ts). A
 * server announcing an account's deletion, whose key went with it, is
 * answered by the signature gate (gate.ts); a partner's withdrawn review is
 * taken before this handler (dispatch.ts). Any other Delete goes on to apex's
 * inbox.
 */
export function deleteHandler(contributions: RequestHandler, deletions: AccountDeletions): RequestHandler {
  return (req, res, next) => {
    const activity = req.body as Record<string, unknown>;
    const actor = idOf(activity.actor);
    if (actor && idOf(activity.object) === actor) {
      deletions.forget(actor).then(() => res.status(202).end(), next);
      return;
    }
    contributions(req, res, next);
  };
}
