import type { RequestHandler } from 'express';

/**
 * Delete. A remote author's deletion of a post they wrote on one of our boards
 * is applied by RemoteContributions (contributions.ts). A server announcing
 * an account's deletion, whose key went with it, is answered by the signature
 * gate (gate.ts); a partner's withdrawn review is taken before this handler
 * (dispatch.ts). Any other Delete goes on to apex's inbox.
 */
export function deleteHandler(contributions: RequestHandler): RequestHandler {
  return contributions;
}
