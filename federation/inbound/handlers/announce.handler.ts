import type { RequestHandler } from 'express';

/**
 * Announce. A remote board this instance follows passes on what was written
 * there (FEP-1b12): RemoteMirror (mirror.ts) takes it only from a Group we
 * follow and only for that Group's own activities, reads an activity given by
 * IRI or from a third server from where it lives, and keeps the post in
 * ap_remote_posts for members to read here. Every Announce ends there.
 */
export function announceHandler(mirror: RequestHandler): RequestHandler {
  return mirror;
}
