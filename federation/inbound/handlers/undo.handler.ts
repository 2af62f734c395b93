import type { RequestHandler } from 'express';

/**
 * Undo. The Undo of a reaction RemoteContributions counted (contributions.ts)
 * takes it back, when it comes from the reaction's author. Any other Undo (a
 * Follow's) goes on to apex's inbox, which takes the follower out of the
 * followers.
 */
export function undoHandler(contributions: RequestHandler): RequestHandler {
  return contributions;
}
