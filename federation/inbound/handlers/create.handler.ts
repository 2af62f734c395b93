import type { RequestHandler } from 'express';

/**
 * Create. A post by a member of another server on one of our public boards
 * (FEP-1b12: a Page starts a thread, a Note replies), addressed to the
 * board's Group, is checked and stored by RemoteContributions
 * (contributions.ts): the author writes their own post on their own server,
 * their server is already in the board's conversation, and the post is kept
 * under the board's rules, with the activity, so a retry makes no second
 * post; the Group then announces it to its followers. A partner's shared
 * review is a Create too, taken before this handler (dispatch.ts). Any other
 * Create goes on to apex's inbox, which stores it.
 */
export function createHandler(contributions: RequestHandler): RequestHandler {
  return contributions;
}
