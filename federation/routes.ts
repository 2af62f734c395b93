import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../server/core/errors.js';
import type { Logger } from '../server/logger.js';
import type { Actors } from './actors/actors.js';
import type { BoardCollection } from './actors/board-collections.js';
import type { Apex, ApexActor, ApexObject } from './apex-types.js';
import { actorOwnsKey, compactActivity, signerAsSender } from './inbound/activity-checks.js';
import { signatureGate, type GateDeps } from './inbound/gate.js';
import { InboxRefusal } from './inbound/refusal.js';
import { inboxBody, requireActivityJson, signerOf } from './inbound/request.js';
import { sharedInboxTarget } from './inbound/shared-inbox.js';
import { SERVICE_PERSONS, type Iris, type LocalActorRef } from './iris.js';
import { FetchError } from './fetch.js';
import { hostOf, idOf } from './as.js';

export interface RoutesDeps extends GateDeps {
  readonly apex: Apex;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly logger: Logger;
  /** Takes each activity that passed the gate to its type's handler before apex sees it (inbound/dispatch.ts). */
  readonly inbound: RequestHandler;
  /** Serves a network review to partners only (authorized fetch, network.ts). */
  readonly reviewObject: RequestHandler;
  /** A local post's object, made from the post as it is now (posts.ts). */
  readonly postObject: (hexId: string) => Promise<{ gone: boolean; doc: Record<string, unknown> } | null>;
  /** A thread's first post's object, for its page's address asked for as ActivityPub (posts.ts). */
  readonly threadObject: (threadId: string) => Promise<{ gone: boolean; doc: Record<string, unknown> } | null>;
  /** A public board's moderators or pinned threads (actors/board-collections.ts). */
  readonly boardCollection: (slug: string, name: BoardCollection) => Promise<Record<string, unknown> | null>;
}

const ACTOR_PATHS = ['/ap/instance', ...SERVICE_PERSONS.map((name) => `/ap/${name}`), '/ap/b/:slug', '/ap/a/:anon', '/ap/m/:team', '/ap/u/:handle'];
const INBOX_PATH = new RegExp(`^/ap/(?:(?:instance|${SERVICE_PERSONS.join('|')}|[abmu]/[^/]+)/)?inbox$`);

/** Whether a request is a server's POST to one of our inboxes (its answer is a status and at most an error code). */
export const isInboxPost = (req: Request): boolean => req.method === 'POST' && INBOX_PATH.test(req.path);
const AP_TYPES = ['application/activity+json', 'application/ld+json', 'text/html'];
const AP_CONTENT_TYPE = 'application/activity+json; charset=utf-8';

/**
 * Whether a request for a page wants its ActivityPub document instead: `application/activity+json`, or
 * `application/ld+json` with the ActivityStreams profile, preferred to HTML (as Mastodon and Lemmy ask when someone
 * pastes a page's address into their search).
 */
function wantsActivityPub(req: Request): boolean {
  const best = req.accepts(['text/html', 'application/activity+json', 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"']);
  return typeof best === 'string' && best !== 'text/html';
}

class NotFound extends Error {
  override name = 'NotFound';
}

interface ApexLocals {
  apex: { target?: ApexObject };
}

/** The local actor a request's path names (the actor's own path, or one of its streams), or null. */
function refOf(iris: Iris, req: Request): LocalActorRef | null {
  return iris.parseActor(`${iris.base}${req.path.replace(/\/(?:inbox|outbox|followers|following)$/, '')}`);
}

/**
 * The ActivityPub endpoints, built from apex's middleware with Parasol's own
 * steps where apex's do not suffice: who may be reached (Actors), the inbox
 * gate (inbound/), the handler of each activity type (inbound/handlers/), and
 * 404 for anything not federating. apex's inbox
 * forwarding and its client-to-server outbox POST are not mounted: Parasol's
 * actors publish only what Parasol's services decide.
 */
export function activityPubRouter(deps: RoutesDeps): express.Router {
  const { apex, actors, iris } = deps;
  const { validators, security, activity, collection, responders } = apex.net;
  const router = express.Router();

  /** apex's own refusals (it answers them with a status, not an error) are logged as ours are (federationErrors). */
  const apexRefusals: RequestHandler = (req, res, next) => {
    const { status, statusMessage } = (res.locals as { apex: { status?: number; statusMessage?: string } }).apex;
    if ((status ?? 400) >= 400) logRefusal(deps.logger, req, res, status ?? 400, `apex: ${String(statusMessage ?? 'refused').slice(0, 80)}`);
    next();
  };

  /** Sets apex's target to the local actor named by the path, or answers 404. */
  const target: RequestHandler = (req, res, next) => {
    const ref = refOf(iris, req);
    if (!ref) {
      next(new NotFound());
      return;
    }
    actors.resolve(ref).then((actor) => {
      if (!actor) {
        next(new NotFound());
        return;
      }
      (res.locals as ApexLocals).apex.target = actor;
      next();
    }, next);
  };

  router.get(ACTOR_PATHS, apex, target, (req, res, next) => {
    const actor = (res.locals as ApexLocals).apex.target as ApexActor;
    res.setHeader('Vary', 'Accept');
    const ref = refOf(iris, req);
    if (req.accepts(AP_TYPES) === 'text/html' && ref && ref.kind !== 'member') {
      res.redirect(303, ref.kind === 'board' || ref.kind === 'anonymous' || ref.kind === 'moderators' ? `/b/${ref.slug}` : '/');
      return;
    }
    actors.document(actor).then((body) => res.type(AP_CONTENT_TYPE).send(body), next);
  });

  // Every inbox reads and checks the request the same way, and handles the activity the same way once it knows the
  // local actor it is for: its own path names it, or the shared inbox picks it from the activity.
  const received = (): RequestHandler[] => [requireActivityJson(), inboxBody(), signatureGate(deps), compactActivity(apex)];
  const handled = (): RequestHandler[] => [
    actorOwnsKey(),
    deps.inbound,
    signerAsSender(),
    validators.actor!,
    validators.activityObject!,
    validators.inboxActivity!,
    activity.save!,
    activity.resolveThread!,
    activity.inboxSideEffects!,
    apexRefusals,
    responders.status!,
  ];
  router.post(ACTOR_PATHS.map((p) => `${p}/inbox`), apex, target, ...received(), ...handled());
  router.post('/ap/inbox', apex, ...received(), sharedInboxTarget({ apex, actors, iris }), ...handled());

  const streams: [string, RequestHandler][] = [
    ['outbox', collection.outbox!],
    ['followers', collection.followers!],
    ['following', collection.following!],
  ];
  for (const [name, handler] of streams) {
    router.get(ACTOR_PATHS.map((p) => `${p}/${name}`), apex, target, validators.jsonld!, security.verifyAuthorization!, handler, responders.result!);
  }

  /** Activities are served only while their local author federates. */
  const localActivity: RequestHandler = (req, _res, next) => {
    (async () => {
      const doc = await apex.store.getActivity(apex.utils.activityIdToIRI(String(req.params.id ?? '')));
      const author = doc ? idOf(doc.actor) : null;
      if (!author || !iris.isLocal(author) || !(await actors.resolveIri(author))) throw new NotFound();
      // A post's board must still federate: a board that stopped being public takes its posts' IRIs with it.
      // (A member's reply on another server's board is that board's business: served while its author federates.)
      const audience = doc ? idOf(doc.audience) : null;
      if (audience && iris.isLocal(audience) && !(await actors.resolveIri(audience))) throw new NotFound();
      next();
    })().catch(next);
  };
  router.get('/ap/s/:id', apex, localActivity, validators.jsonld!, validators.targetActivity!, security.verifyAuthorization!, security.requireAuthorizedOrPublic!, responders.target!);
  router.get('/ap/o/:id', (req, res, next) => {
    deps
      .postObject(String(req.params.id))
      .then((found) => {
        if (!found) throw new NotFound();
        res.setHeader('Vary', 'Accept');
        const thread = typeof found.doc.url === 'string' ? found.doc.url.replace(/#.*$/, '') : null;
        if (!found.gone && thread && req.accepts(AP_TYPES) === 'text/html') {
          res.redirect(303, thread);
          return;
        }
        // 410 with the Tombstone, as Mastodon and Lemmy expect of a deleted object.
        res.status(found.gone ? 410 : 200).type(AP_CONTENT_TYPE).send(JSON.stringify(found.doc));
      })
      .catch(next);
  });

  router.get('/ap/r/:id', deps.reviewObject);

  for (const name of ['moderators', 'featured'] as const) {
    router.get(`/ap/b/:slug/${name}`, (req, res, next) => {
      deps
        .boardCollection(String(req.params.slug), name)
        .then((doc) => {
          if (!doc) throw new NotFound();
          res.type(AP_CONTENT_TYPE).send(JSON.stringify(doc));
        })
        .catch(next);
    });
  }

  // A board's or a thread's page asked for as ActivityPub answers its Group or its first post; anything else goes on
  // to the page. Only public boards federate: any other board, and its threads, answer 404.
  router.get(['/b/:slug', '/t/:id'], (req, res, next) => {
    res.vary('Accept');
    if (!wantsActivityPub(req)) {
      next();
      return;
    }
    (async () => {
      if (typeof req.params.slug === 'string') {
        const group = await actors.boardActor(req.params.slug);
        if (!group) throw new NotFound();
        res.type(AP_CONTENT_TYPE).send(await actors.document(group));
        return;
      }
      const found = await deps.threadObject(String(req.params.id));
      if (!found) throw new NotFound();
      res.status(found.gone ? 410 : 200).type(AP_CONTENT_TYPE).send(JSON.stringify(found.doc));
    })().catch(next);
  });

  router.all('/ap', (_req, _res, next) => next(new NotFound()));
  router.all('/ap/*', (_req, _res, next) => next(new NotFound()));
  return router;
}

/** Logs the refusal of an inbox activity that passed the signature gate: its reason, the signer's server, its type. */
function logRefusal(logger: Logger, req: Request, res: Response, status: number, reason: string): void {
  const signer = isInboxPost(req) ? signerOf(res) : null;
  if (!signer) return;
  const type = (req.body as { type?: unknown } | undefined)?.type;
  logger.info({ reason, status, host: hostOf(signer.owner), type: typeof type === 'string' ? type.slice(0, 40) : null }, 'inbox activity refused');
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * Errors of the federation endpoints as short JSON answers; the site's HTML error pages are for people. A refusal of
 * an activity that passed the signature gate is logged with its reason (the gate logs its own), the sender's host and
 * the activity's type: never an address or the body.
 */
export function federationErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res: Response, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof NotFound) {
      res.status(404).json({ error: 'not_found' });
      return;
    }
    if (error instanceof InboxRefusal) {
      logRefusal(logger, req, res, error.status, error.code);
      if (error.status === 503) res.setHeader('Retry-After', '30');
      if (error.status === 429) res.setHeader('Retry-After', '60');
      res.status(error.status).json({ error: error.code });
      return;
    }
    if (error instanceof AppError) {
      logRefusal(logger, req, res, error.status, error.code);
      if (error.retryAfter) res.setHeader('Retry-After', String(error.retryAfter));
      res.status(error.status).json({ error: error.code });
      return;
    }
    // An object the activity names could not be read (apex resolves them while it takes the activity in): one of ours
    // we no longer hold (an Accept of a follow undone meanwhile), or a document its server would not give. The sender
    // may try again later only when that server was unreachable.
    if (error instanceof FetchError) {
      logRefusal(logger, req, res, error.transient ? 503 : 422, error.transient ? 'object_unreachable' : 'object_unknown');
      if (error.transient) {
        res.setHeader('Retry-After', '60');
        res.status(503).json({ error: 'object_unreachable' });
      } else {
        res.status(422).json({ error: 'object_unknown' });
      }
      return;
    }
    const e = (error ?? {}) as BodyParserError;
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: 'body_too_large' });
      return;
    }
    if (e.type === 'entity.parse.failed' || e.type === 'request.aborted' || e.type === 'request.size.invalid') {
      res.status(400).json({ error: 'bad_json' });
      return;
    }
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      res.status(415).json({ error: 'unsupported_encoding' });
      return;
    }
    logger.error({ err: error }, 'federation request failed');
    res.status(500).json({ error: 'internal' });
  };
}
