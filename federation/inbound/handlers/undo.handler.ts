import type { RequestHandler } from 'express';
import type { RemoteRestores } from '../restores.js';

/**
 * Undo. A restore (Lemmy's Undo of a Delete, of the account itself or of a post it wrote on one of our boards) is
 * answered by RemoteRestores (restores.ts), from whoever deleted: a post is read again from its origin; an account's
 * deletion erased what it took, so its restore brings nothing back. The Undo of a reaction RemoteContributions counted (contributions.ts) takes
 * it back, when it comes from the reaction's author. Any other Undo (a Follow's) goes on to apex's inbox, which
 * takes the follower out of the followers.
 */
export function undoHandler(contributions: RequestHandler, restores: RemoteRestores): RequestHandler {
  return (req, res, next) => {
    restores.undo(req.body as Record<string, unknown>).then((handled) => {
      if (handled) res.status(202).end();
      else contributions(req, res, next);
    }, next);
  };
}
