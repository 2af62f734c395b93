import type { RequestHandler } from 'express';
import { announceHint, type RemoteMirror } from '../../remote-boards/mirror.js';
import { rawJsonOf } from '../request.js';

/**
 * Announce. A remote board this instance follows passes on what was written
 * there (FEP-1b12): RemoteMirror (remote-boards/mirror.ts) takes it only from a Group we
 * follow and only for that Group's own activities, reads an activity given by
 * IRI or from a third server from where it lives, and keeps the post in
 * ap_remote_posts for members to read here. Every Announce ends here, none
 * goes on to apex.
 */
export function announceHandler(mirror: RemoteMirror): RequestHandler {
  return (req, res, next) => {
    mirror.receive(req.body as Record<string, unknown>, announceHint(rawJsonOf(req))).then(() => res.status(202).end(), next);
  };
}
