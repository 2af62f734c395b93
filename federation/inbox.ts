import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../server/logger.js';
import type { Limiter } from '../server/core/rate-limit.js';
import type { Apex, ApexObject } from './apex-types.js';
import { FetchError } from './fetch.js';
import type { KeyResolver } from './keys.js';
import {
  ACCEPTED_ALGORITHMS,
  SIGNED_POST_HEADERS,
  digestMatches,
  parseSignatureHeader,
  signatureHeaderOf,
  signingString,
  verifySignature,
} from './signatures.js';
import { hostOf, idOf, sameOrigin } from './as.js';

/**
 * What an inbox POST must pass before apex sees it. apex verifies the HTTP
 * signature itself, but it does not tie the Digest to the body, does not
 * require `digest` or `date` among the signed headers, accepts any Date, and
 * answers 500 to a malformed or unverifiable signature. So, in order:
 * an ActivityStreams content type (415), at most 1 MB (413), a Signature over
 * (request-target), host, date and digest (401), a Date within five minutes
 * (401), a Digest equal to the body's hash (401), a signature not seen
 * before (401), a key that resolves (401) and verifies (403), and, after the
 * JSON-LD is read, an activity whose actor owns the key (403).
 */

export const MAX_INBOX_BYTES = 1_048_576;
export const DATE_WINDOW_MS = 5 * 60_000;

const INBOX_TYPES = ['application/activity+json', 'application/ld+json'];

interface InboxRequest extends Request {
  rawBody?: Buffer;
  rawJson?: Record<string, unknown> | null;
}

interface InboxLocals {
  keyOwner?: string;
  keyPem?: string;
  keyActor?: ApexObject;
}

const locals = (res: Response): InboxLocals => res.locals as InboxLocals;

/** The actor document of the signer of an accepted inbox request, as the signature check read it. */
export const senderOf = (res: Response): ApexObject | null => locals(res).keyActor ?? null;

/** The actor and public key that signed an accepted inbox request (for checks against pinned keys). */
export const signerOf = (res: Response): { owner: string; publicKeyPem: string } | null => {
  const { keyOwner, keyPem } = locals(res);
  return keyOwner && keyPem ? { owner: keyOwner, publicKeyPem: keyPem } : null;
};

const iri = z.string().max(2048).regex(/^https?:\/\//);
/** The least an activity must look like before its signature is even checked; JSON-LD reading and apex check the rest. */
const activityShape = z.looseObject({
  id: iri,
  type: z.union([z.string().min(1).max(100), z.array(z.string().max(100)).min(1).max(5)]),
  actor: z.union([iri, z.looseObject({ id: iri })]),
});

export class InboxRefusal extends Error {
  override name = 'InboxRefusal';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
    readonly code: string,
  ) {
    super(code);
  }
}

/** Remembers the signatures of accepted requests for as long as their Date is valid, so none is accepted twice. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  has(signature: string, now = Date.now()): boolean {
    const until = this.seen.get(signature);
    return until !== undefined && until > now;
  }

  add(signature: string, now = Date.now()): void {
    if (this.seen.size >= this.maxEntries) this.prune(now);
    // Past the size bound the oldest go first: Map keeps insertion order.
    while (this.seen.size >= this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(signature, now + 2 * DATE_WINDOW_MS);
  }

  private prune(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }
}

export function requireActivityJson(): RequestHandler {
  return (req, _res, next) => {
    if (!req.is(INBOX_TYPES)) next(new InboxRefusal(415, 'unsupported_media_type'));
    else next();
  };
}

/** The request's body as it arrived (for the Digest check, and to pass a remote activity on unchanged). */
export const rawBodyOf = (req: Request): Buffer | undefined => (req as InboxRequest).rawBody;

/**
 * The body as its sender wrote it, before JSON-LD reading (Parasol's own terms between partners are read from it):
 * parsed once per request, however many inbox steps ask.
 */
export function rawJsonOf(req: Request): Record<string, unknown> | null {
  const r = req as InboxRequest;
  if (r.rawJson === undefined) {
    try {
      const parsed: unknown = r.rawBody ? JSON.parse(r.rawBody.toString('utf8')) : null;
      r.rawJson = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      r.rawJson = null;
    }
  }
  return r.rawJson;
}

/** JSON body up to 1 MB, keeping the raw bytes for the Digest check. */
export function inboxBody(): RequestHandler {
  return express.json({
    type: INBOX_TYPES,
    limit: MAX_INBOX_BYTES,
    strict: true,
    verify: (req, _res, buf) => {
      (req as InboxRequest).rawBody = Buffer.from(buf);
    },
  });
}

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
}

/** Checks the request's signature, date and digest; remembers the key's owner for actorOwnsKey. */
export function signatureGate(deps: GateDeps): RequestHandler {
  const now = deps.now ?? Date.now;
  return (req, res, next) => {
    (async () => {
      const raw = (req as InboxRequest).rawBody;
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
      if (deps.replays.has(params.signature, now())) throw new InboxRefusal(401, 'replayed');
      // Before any key is fetched: a refused server gets no request from us, not even for its key.
      const actor = (req.body as { actor: string | { id: string } }).actor;
      if (!deps.allows(params.keyId) || !deps.allows(typeof actor === 'string' ? actor : actor.id)) throw new InboxRefusal(403, 'server_refused');
      await deps.overallLimit.consume('*').catch(() => {
        throw new InboxRefusal(429, 'rate_limited');
      });
      const data = signingString(params.headers, req.method, req.originalUrl, req.headers);
      if (data === null) throw new InboxRefusal(401, 'signature_headers');

      let unreachable = false;
      let key = await deps.keys.resolve(params.keyId, false).catch((error: unknown) => {
        unreachable = error instanceof FetchError && error.transient;
        return null;
      });
      // Our fetch of the key timed out or failed on the way (not a refusal by its server): the sender should try again.
      if (!key && unreachable) throw new InboxRefusal(503, 'key_unreachable');
      if (!key) {
        // A server announcing an account's deletion: its key is gone with it, and there is nothing to undo here.
        if (isSelfDelete(req.body as Record<string, unknown>)) {
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
      deps.replays.add(params.signature, now());
      locals(res).keyOwner = key.owner;
      locals(res).keyPem = key.publicKeyPem;
      locals(res).keyActor = key.actor;
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

/** Reads the activity as JSON-LD (with the bundled contexts), as apex's own jsonld validator would, but a body it cannot read is a 400, not a 500. */
export function compactActivity(apex: Apex): RequestHandler {
  return (req, _res, next) => {
    apex.fromJSONLD(req.body).then(
      (compacted) => {
        if (!compacted || typeof compacted.id !== 'string' || typeof compacted.type !== 'string') {
          next(new InboxRefusal(400, 'bad_activity'));
          return;
        }
        req.body = compacted;
        next();
      },
      () => next(new InboxRefusal(400, 'bad_jsonld')),
    );
  };
}

/**
 * Hands apex the signer the gate verified, in place of apex's own check
 * (security.verifySignature), which would parse and verify the signature a
 * second time, with a key it reads again, for every activity.
 */
export function signerAsSender(): RequestHandler {
  return (_req, res, next) => {
    const actor = senderOf(res);
    if (!actor) {
      next(new InboxRefusal(401, 'signature_missing'));
      return;
    }
    (res.locals as { apex: { sender?: ApexObject } }).apex.sender = actor;
    next();
  };
}

const REFERENCE_PROPS = ['object', 'target', 'inReplyTo', 'tag'] as const;
const MAX_DEPTH = 8;

/**
 * After reading the JSON-LD (aliases and all): the activity's actor must be
 * the signer. Objects embedded in the activity are trusted only when they
 * come from the signer's own origin; any other is cut down to its IRI, so
 * apex fetches it from where it lives instead of caching the sender's copy
 * (which could, for instance, plant a false public key for another server's
 * actor).
 */
export function actorOwnsKey(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const owner = locals(res).keyOwner;
    const activity = req.body as ApexObject;
    const actor = idOf(activity.actor);
    if (!owner || !actor || actor !== owner) {
      next(new InboxRefusal(403, 'actor_not_signer'));
      return;
    }
    trimForeignObjects(activity, new URL(owner).origin);
    next();
  };
}

/** Cuts the objects embedded in `node` that do not come from `origin` down to their IRIs (see actorOwnsKey). */
export function trimForeignObjects(node: Record<string, unknown>, origin: string, depth = 0): void {
  for (const prop of REFERENCE_PROPS) {
    const value = node[prop];
    if (!Array.isArray(value)) continue;
    node[prop] = value.map((item: unknown) => {
      if (!item || typeof item !== 'object') return item;
      const id = (item as { id?: unknown }).id;
      if (typeof id === 'string' && !sameOrigin(id, origin)) return id;
      if (depth < MAX_DEPTH) trimForeignObjects(item as Record<string, unknown>, origin, depth + 1);
      return item;
    });
  }
}
