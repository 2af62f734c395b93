import type { RequestHandler } from 'express';

/**
 * Flag. Another server's report, sent to any of our inboxes, is answered 202
 * by RemoteContributions (contributions.ts), which puts each of our posts it
 * names in its board's reports queue, as reported by that server.
 */
export function flagHandler(contributions: RequestHandler): RequestHandler {
  return contributions;
}
