import type { RequestHandler } from 'express';
import type { RegionalNetwork } from '../network.js';
import { rawJsonOf, signerOf } from './request.js';

/**
 * Parasol's own vocabulary between partner instances: a shared review
 * created, changed or withdrawn, and a partnership announced. It is
 * recognised by its object, whatever the activity, and read as its sender
 * wrote it (JSON-LD reading would drop Parasol's terms); RegionalNetwork
 * (network.ts) takes it from partners only, signed with the key pinned for
 * them. Everything else goes on to the handler of its activity type.
 */
export function partnerObjects(network: RegionalNetwork): RequestHandler {
  return (req, res, next) => {
    const body = rawJsonOf(req) ?? {};
    const object = network.partnerObject(body);
    if (!object) {
      next();
      return;
    }
    network.receive(body, object, signerOf(res)).then(() => res.status(202).end(), next);
  };
}
