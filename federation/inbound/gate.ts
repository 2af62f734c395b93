import { z } from 'zod';
import type { RequestHandler } from 'express';
import type { Logger } from '../../server/logger.js';
import type { Limiter } from '../../server/core/rate-limit.js';
import { hostOf } from '../as.js';
import { FetchError } from '../fetch.js';
import type { KeyResolver } from '../actors/keys.js';
import {
  ACCEPTED_ALGORITHMS,
  SIGNED_POST_HEADERS,
  digestMatches,
  parseSignatureHeader,
  signatureHeaderOf,
  signingString,
  verifySignature,
} from '../signatures.js';
import { InboxRefusal } from './refusal.js';
import type { ReplayCache } from './replay-cache.js';
import { DATE_WINDOW_MS, rawBodyOf, setSigner } from './request.js';

/**
 * What an inbox POST must pass before apex sees it. apex verifies the HTTP
 * signature itself, but it does not tie the Digest to the body, does not
 * require `digest` or `date` among the signed headers, accepts any Date, and
 * answers 500 to a malformed or unverifiable signature. So, in order:
 * an ActivityStreams content type (415) and at most 1 MB (413), in
 * request.ts; here, a Signature over (request-target), host, date and digest
 * (401), a Date within five minutes (401), a Digest equal to the body's hash
 * (401), a signature not seen by this process before (401), a key that
 * resolves (401) and verifies (403), a signature that no process of the
 * instance accepted before (401); and, after the JSON-LD is read, an activity
 * whose actor owns the key (403), in activity-checks.ts.
 */

const iri = z.string().max(2048).regex(/^https?:\/\//);
/** The least an activity must look like before its signature is even checked; JSON-LD reading and apex check the rest. */
const activityShape = z.looseObject({
  id: iri,
  type: z.union([z.string().min(1).max(100), z.array(z.string().max(100)).min(1).max(5)]),
  actor: z.union([iri, z.looseObject({ id: iri })]),
});

export interface GateDeps {
  /** The deny list or allow-list: whether a remote actor's server (and the actor) may reach us at all. */
  readonly allows: (iri: string) => boolean;
  readonly keys: KeyResolver;
  readonly replays: ReplayCache;
  /** Inbox requests in all, counted before anything is verified (keyed '*'): what protects this server. */
  readonly overallLimit: Limiter;
  /** Per remote host, counted once the signature verifies, so that no one can spend another server's budget. */
  readonly hostLimit: Limiter;
  readonly logger: Logger;
  readonly now?: () => number;
  /** An account's Delete of itself whose key its own server answers is gone (404 or 410): what it left here goes too. */
  readonly onAccountGone?: (actor: string) => void;
}

/** Checks the request's signature, date and digest; remembers the key's owner for actorOwnsKey. */
export function signatureGate(deps: GateDeps): RequestHandler {
  const now = deps.now ?? Date.now;
  return (req, res, next) => {
    (async () => {
      const raw = rawBodyOf(req);
      if (!raw || !activityShape.safeParse(req.body).success) throw new InboxRefusal(400, 'bad_activity');
      const header = signatureHeaderOf(req.headers);
      if (!header) throw new InboxRefusal(401, 'signature_missing');
      const params = parseSignatureHeader(header);
      if (!params) throw new InboxRefusal(401, 'signature_malformed');
      if (!ACCEPTED_ALGORITHMS.has(params.algorithm)) throw new InboxRefusal(401, 'signature_algorithm');
      for (const name of SIGNED_POST_HEADERS) if (!params.headers.includes(name)) throw new InboxRefusal(401, 'signature_headers');
      const date = Date.parse(String(req.headers.date ?? ''));
      if (!Number.isFinite(date) || Math.abs(now() - date) > DATE_WINDOW_MS) throw new InboxRefusal(401, 'date_out_of_window');
      if (!digestMatches(typeof req.headers.digest === 'string' ? req.headers.digest : undefined, raw)) throw new InboxRefusal(401, 'digest_mismatch');
      if (deps.replays.seenHere(params.signature, now())) throw new InboxRefusal(401, 'replayed');
      // Before any key is fetched: a refused server gets no request from us, not even for its key.
      const actor = (req.body as { actor: string | { id: string } }).actor;
      if (!deps.allows(params.keyId) || !deps.allows(typeof actor === 'string' ? actor : actor.id)) throw new InboxRefusal(403, 'server_refused');
      await deps.overallLimit.consume('*').catch(() => {
        throw new InboxRefusal(429, 'rate_limited');
      });
      const data = signingString(params.headers, req.method, req.originalUrl, req.headers);
      if (data === null) throw new InboxRefusal(401, 'signature_headers');

      let unreachable = false;
      let gone = false;
      let key = await deps.keys.resolve(params.keyId, false).catch((error: unknown) => {
        unreachable = error instanceof FetchError && error.transient;
        gone = error instanceof FetchError && (error.status === 404 || error.status === 410);
        return null;
      });
      // Our fetch of the key timed out or failed on the way (not a refusal by its server): the sender should try again.
      if (!key && unreachable) throw new InboxRefusal(503, 'key_unreachable');
      if (!key) {
        // A server announcing an account's deletion: its key is gone with it, and there is nothing to undo here.
        const body = req.body as Record<string, unknown>;
        if (isSelfDelete(body)) {
          // Unsigned as far as we can tell, but its own server confirms it: the actor's document is gone.
          if (gone && params.keyId.split('#')[0] === body.actor) deps.onAccountGone?.(body.actor as string);
          res.status(202).end();
          return;
        }
        throw new InboxRefusal(401, 'key_unavailable');
      }
      let valid = verifySignature(params, data, key.publicKeyPem);
      if (!valid && key.cached) {
        key = await deps.keys.resolve(params.keyId, true).catch(() => null);
        valid = !!key && verifySignature(params, data, key.publicKeyPem);
      }
      if (!valid || !key) throw new InboxRefusal(403, 'signature_invalid');
      await deps.hostLimit.consume(hostOf(key.owner) ?? 'invalid').catch(() => {
        throw new InboxRefusal(429, 'rate_limited');
      });
      if (!deps.allows(key.owner)) throw new InboxRefusal(403, 'server_refused');
      // Last, once everything else passed: a request refused for another reason may be sent again as it is.
      if (!(await deps.replays.claim(params.signature, now()))) throw new InboxRefusal(401, 'replayed');
      setSigner(res, key);
      next();
    })().catch((error: unknown) => {
      if (error instanceof InboxRefusal) deps.logger.info({ reason: error.code, status: error.status }, 'inbox request refused');
      next(error);
    });
  };
}

function isSelfDelete(body: Record<string, unknown>): boolean {
  if (body.type !== 'Delete' || typeof body.actor !== 'string') return false;
  const object = body.object;
  const id = typeof object === 'string' ? object : object && typeof object === 'object' ? (object as { id?: unknown }).id : undefined;
  return id === body.actor;
}
