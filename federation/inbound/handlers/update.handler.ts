import type { RequestHandler } from 'express';

/**
 * Update. A remote author's edit of a post that came to one of our boards by
 * a Create is applied by RemoteContributions (contributions.ts), only when
 * the Update comes from that post's author; a partner's changed review is
 * taken before this handler (dispatch.ts). Any other Update goes on to apex's
 * inbox, which refreshes the object it has stored (a remote actor's new key
 * or name).
 */
export function updateHandler(contributions: RequestHandler): RequestHandler {
  return contributions;
}
