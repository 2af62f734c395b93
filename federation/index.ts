import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import type { FederationFacts } from '../server/admin/console.service.js';
import type { AppContext } from '../server/context.js';
import type { ApiRouter } from '../server/http/api-router.js';
import { createLimiter } from '../server/core/rate-limit.js';
import { projectRoot } from '../server/paths.js';
import { Actors } from './actors/actors.js';
import { BoardCollections } from './actors/board-collections.js';
import { createApex } from './apex.js';
import { apexCollections, apObjectsCollection } from './apex.collections.js';
import { PortApexStore } from './apex-store.js';
import { DeliveryQueue } from './outbound/delivery-queue.js';
import { seedContextCache } from './contexts.js';
import { DeliveryWorker } from './outbound/delivery-worker.js';
import { RemoteContributions } from './inbound/contributions.js';
import { AccountDeletions } from './inbound/account-deletion.js';
import { RemoteRestores } from './inbound/restores.js';
import { federationApi } from './federation.api.js';
import { federationPages } from './federation.pages.js';
import { apMembersCollection, federationCollections } from './federation.collections.js';
import { fetchJson, type OutboundOptions } from './fetch.js';
import { keyLookup } from './integrity.js';
import { FollowsService } from './remote-boards/follows.js';
import { afterApex, inboundActivities } from './inbound/dispatch.js';
import type { InboxEvent } from './inbound/inbox-event.js';
import { ReplayCache } from './inbound/replay-cache.js';
import { Iris } from './iris.js';
import { KeyResolver } from './actors/keys.js';
import { RemoteMirror } from './remote-boards/mirror.js';
import { mirrorApi } from './remote-boards/mirror.api.js';
import { AccountMoves, movesApi } from './moves.js';
import { movesPages } from './moves.pages.js';
import { mirrorPages } from './remote-boards/mirror.pages.js';
import { FederationPolicy } from './policy.js';
import { SettingsRevision } from './settings-revision.js';
import { networkApi, RegionalNetwork } from './network.js';
import { PostFederation } from './outbound/posts.js';
import { RemotePosting, remotePostingApi } from './remote-boards/remote-posting.js';
import { RemoteReactions, remoteReactionsApi } from './remote-boards/remote-reactions.js';
import { ActorDepartures } from './outbound/actor-delete.js';
import { activityPubRouter, federationErrors } from './routes.js';
import { wellKnownRouter } from './actors/well-known.js';
import { mirroredPictures, mirroredPostAccess, recordPictures } from './remote-media.js';

export interface Federation {
  readonly actors: Actors;
  readonly policy: FederationPolicy;
  readonly follows: FollowsService;
  readonly posts: PostFederation;
  /** The admin's federation page; mounted by the app after sessions, unlike the rest. */
  readonly pages: express.Router;
  /** What the admin console shows of federation: the mode and rules, the partners, follows and waiting deliveries. */
  overview(): Promise<FederationFacts>;
}

const version = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Followed boards are read for what was missed a little after start, then every six hours. */
const CATCH_UP_DELAY_MS = 5_000;
const CATCH_UP_EVERY_MS = 6 * 3_600_000;
/** The background jobs' names, which their leases go by. */
const DELIVERY_JOB = 'federation-delivery';
const CATCH_UP_JOB = 'federation-catch-up';

/**
 * Attaches ActivityPub to the app: discovery (WebFinger, NodeInfo,
 * host-meta), the actors' endpoints, the delivery worker and the federation
 * API. Mounted before the site's cookie and session handling, which have
 * nothing to do with server-to-server requests. Returns null when the
 * configuration turns federation off.
 */
export async function attachFederation(app: express.Express, api: ApiRouter, ctx: AppContext): Promise<Federation | null> {
  const { config, store, logger: baseLogger } = ctx;
  if (!config.federation.enabled) return null;
  const logger = baseLogger.child({ module: 'federation' });
  await store.declare([...apexCollections, ...federationCollections]);

  const iris = new Iris(config.publicUrl);
  // The deny list or allow-list is loaded before anything is fetched or accepted.
  let policy: FederationPolicy | null = null;
  // Queued deliveries wake the delivery worker, in whichever process holds its lease.
  const wakeDeliveries = () => ctx.jobs.wake(DELIVERY_JOB);
  const queue = new DeliveryQueue(store, {
    deliveryMaxAgeMs: config.federation.deliveryMaxAgeMs,
    retryBaseMs: config.federation.retryBaseMs,
    onEnqueued: wakeDeliveries,
  });
  const apexStore = new PortApexStore(store, queue);
  await apexStore.setup();
  await seedContextCache(apexStore);
  const outbound: OutboundOptions = {
    allowPrivateNetwork: config.allowPrivateNetwork,
    timeoutMs: config.federation.requestTimeoutMs,
    userAgent: `parasol/${version} (+${iris.base}/)`,
    allowHost: async (host) => {
      if (policy === null) return false;
      await policy.fresh();
      return policy.allowsHost(host);
    },
  };

  // apex fetches as the instance actor, which exists only once apex does.
  let actors: Actors | null = null;
  const apex = createApex({
    iris,
    store: apexStore,
    logger,
    version,
    outbound,
    instanceSigner: async () => (actors ? actors.signer((await actors.instanceActor()).id) : null),
    onQueued: wakeDeliveries,
  });
  // The rules and partners every process holds, kept the same as the database's (settings-revision.ts).
  const revision = new SettingsRevision(store);
  await revision.start();
  policy = new FederationPolicy({ store, apex, apexStore, iris, logger, revision });
  await policy.load();
  const rules = policy;
  revision.onChange(() => rules.load());
  const allows = async (iri: string) => {
    await rules.fresh();
    return rules.allowsIri(iri);
  };
  const pictures = recordPictures(ctx, config.allowPrivateNetwork);
  ctx.media.checkRemoteHosts(allows);
  ctx.media.registerContext('remote_post', mirroredPostAccess(store));
  const actorService = new Actors({ apex, iris, apexStore, store, forums: ctx.forums.boards, accounts: ctx.accounts, instance: ctx.instance });
  actors = actorService;
  const deliveries = new DeliveryWorker(
    // A member's post refused by a remote board is told to the member (remote-boards/remote-posting.ts).
    { queue, signer: (id) => actorService.signer(id), logger, onRefused: (delivery) => posting.refused(delivery) },
    { ...outbound, concurrency: config.federation.deliveryConcurrency },
  );
  ctx.jobs.exclusive(DELIVERY_JOB, { start: () => deliveries.start(), stop: () => deliveries.stop(), wake: () => deliveries.kick() });
  // The instance actor's key exists before anything needs to sign.
  await actorService.instanceActor();

  // Our own members' activities and posts (written on a remote board and announced back) are read from our store.
  const mirror = new RemoteMirror({
    store,
    logger,
    fetchObject: async (iri) => (iris.isLocal(iri) ? ((await apexStore.getActivity(iri)) ?? (await apexStore.getObject(iri))) : apex.requestObject(iri)),
    followingActors: iris.followingActors(),
    pictures: mirroredPictures(ctx, store, pictures),
    // Keys are read with a signed GET, as Mastodon's authorized fetch asks, from the origin the key names.
    proofKeys: keyLookup(async (iri) => {
      const signer = await actorService.signer((await actorService.instanceActor()).id);
      const { url, json } = await fetchJson(iri, { ...outbound, signer });
      return url.origin === new URL(iri).origin && json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
    }),
  });
  const follows = new FollowsService({
    apex,
    actors: actorService,
    iris,
    store,
    outbound,
    logger,
    allows,
    onAccepted: (group) => void mirror.tryCatchUp(group),
  });
  const boardCollections = new BoardCollections({ apex, iris, actors: actorService, boards: ctx.forums.boards, reading: ctx.forums.reading });
  const posts = new PostFederation({
    apex,
    apexStore,
    actors: actorService,
    iris,
    store,
    logger,
    forums: ctx.forums.reading,
    photos: async (postId) =>
      // A picture shown as a placeholder here (refused, or its board turned remote media off) is not offered to others.
      ((await ctx.media.photosOf('post', [postId])).get(postId) ?? []).filter((p) => !p.unavailable).map((p) => ({ url: `${iris.base}${p.url}`, mediaType: p.mediaType, alt: p.alt, width: p.width, height: p.height, blurhash: p.blurhash })),
    sensitivePhotos: async (postId) => ((await ctx.media.photosOf('post', [postId])).get(postId) ?? []).some((p) => p.sensitive),
  });
  const network = new RegionalNetwork({
    store,
    apex,
    apexStore,
    actors: actorService,
    iris,
    sharing: ctx.reviewSharing,
    logger,
    allowPrivateNetwork: config.allowPrivateNetwork,
    onPartners: (hosts) => rules.setPartners(hosts),
    revision,
  });
  await network.load();
  revision.onChange(() => network.load());
  // Reviews of network boards go to the partners as they are published, changed and taken back.
  ctx.reviews.onChange((reviewId) => void network.onReviewChange(reviewId));
  const contributions = new RemoteContributions({
    apex,
    apexStore,
    actors: actorService,
    iris,
    store,
    logger,
    forums: ctx.forums.remote,
    moderation: ctx.moderation,
    posts,
    pictures: (postId, object) => pictures('post', postId, object),
  });
  const deletions = new AccountDeletions({ contributions, apexStore, forums: ctx.forums.remote, mirror, logger });
  const moves = new AccountMoves({ store, apex, apexStore, actors: actorService, iris, network, contributions, accounts: ctx.accounts, locales: () => ctx.i18n.locales, logger });
  // Every change of a thread (post, edit, removal) is reconciled with what its board's followers were sent.
  ctx.forums.changes.onChange((threadId, postId) => void posts.onThreadChange(threadId, postId));

  const fed = express();
  // Never 'development': apex accepts unsigned inbox posts when the app's env is development.
  fed.set('env', 'production');
  fed.set('trust proxy', config.trustProxy);
  fed.set('etag', 'strong');
  fed.disable('x-powered-by');
  // Every request to the actors' endpoints (the inboxes, partners' fetches) meets the rules and partners as they are now.
  fed.use('/ap', (_req, _res, next) => {
    revision.current().then(() => next(), next);
  });
  fed.use(wellKnownRouter({ iris, actors: actorService, accounts: ctx.accounts, instance: ctx.instance, version, userCounts: config.federation.userCounts }));
  fed.use(
    activityPubRouter({
      apex,
      actors: actorService,
      iris,
      logger,
      allows: (iri) => rules.allowsIri(iri),
      keys: new KeyResolver(apex, iris),
      replays: new ReplayCache({ store, keyedHash: ctx.instance.keyedHash }),
      onAccountGone: (actor) => void deletions.forget(actor).catch((error: unknown) => logger.error({ err: error }, 'forgetting a deleted account failed')),
      overallLimit: createLimiter({ ...config.federation.inboxLimit, perKey: config.federation.inboxLimit.overall }, 'inbox-overall', ctx.limits),
      hostLimit: createLimiter({ ...config.federation.inboxLimit, overall: Number.MAX_SAFE_INTEGER }, 'inbox-host', ctx.limits),
      inbound: inboundActivities({
        network,
        contributions: contributions.gate(),
        deletions,
        mirror,
        moves,
        restores: new RemoteRestores({ contributions, forums: ctx.forums.remote, logger, fetchObject: (iri) => apex.requestObject(iri) }),
        follow: { apex, apexStore, actors: actorService, iris, logger },
        iris,
      }),
      reviewObject: network.serve(),
      postObject: (hexId) => posts.objectFor(hexId),
      threadObject: (threadId) => posts.threadObject(threadId),
      boardCollection: (slug, name) => boardCollections.collection(slug, name),
    }),
  );
  fed.use(federationErrors(logger));
  // apex announces each processed inbox activity on the app that served it, once the response is sent.
  const afterInbox = afterApex(follows);
  (fed as unknown as NodeJS.EventEmitter).on('apex-inbox', (event: InboxEvent) => {
    afterInbox(event).catch((error: unknown) => logger.error({ err: error, type: event.activity.type }, 'inbox side effect failed'));
  });
  app.use(fed);

  federationApi(api, { actors: actorService, follows, queue, store, policy: rules });
  mirrorApi(api, mirror, store);
  networkApi(api, network);
  movesApi(api, moves);
  const posting = new RemotePosting({
    apex,
    actors: actorService,
    iris,
    store,
    moderation: ctx.moderation,
    postingLimit: createLimiter(config.rateLimits.posting, 'remote-posting', ctx.limits),
    accounts: ctx.accounts,
    notifications: ctx.notifications,
  });
  remotePostingApi(api, posting);
  const reactions = new RemoteReactions({ apex, actors: actorService, iris, store, logger, limit: createLimiter(config.rateLimits.posting, 'remote-likes', ctx.limits) });
  reactions.register(ctx.hooks);
  remoteReactionsApi(api, reactions);

  // A deleted account's Person tells the servers that know it (signed with its key, kept while that is delivered);
  // then its actor and key go with the account.
  const departures = new ActorDepartures({ apex, apexStore, actors: actorService, iris, store, logger, keepKeyMs: config.federation.deliveryMaxAgeMs });
  ctx.hooks.onErasing((accountId) => departures.departing(accountId));
  ctx.hooks.onDeleted(async (tx, accountId) => {
    const prefs = await tx.collection(apMembersCollection).get(accountId);
    if (!prefs) return;
    if (prefs.actorIri) {
      await tx.collection(apObjectsCollection).delete(prefs.actorIri);
      await departures.departed(tx, prefs.actorIri);
    }
    await tx.collection(apMembersCollection).delete(accountId);
  });

  // Pages for people (after sessions, mounted by the app): the admin's federation page, remote boards, moving an account.
  const pages = express.Router();
  pages.use(federationPages(ctx, { policy: rules, follows, network }));
  pages.use(mirrorPages(ctx, { mirror, follows, objects: apexStore, posting, reactions }));
  pages.use(movesPages(ctx, moves));

  // What followed boards posted while this instance was away longer than their retries last.
  ctx.jobs.every(CATCH_UP_JOB, { firstAfterMs: CATCH_UP_DELAY_MS, everyMs: CATCH_UP_EVERY_MS, run: () => mirror.catchUpAll() });
  return {
    actors: actorService,
    policy: rules,
    follows,
    posts,
    pages,
    overview: async () => {
      const [view, followed, pendingDeliveries] = await Promise.all([rules.view(), follows.list(), queue.pendingDeliveries()]);
      return {
        mode: view.mode,
        denyRules: view.rules.filter((r) => r.policy === 'deny').length,
        allowRules: view.rules.filter((r) => r.policy === 'allow').length,
        partners: network.list().map((p) => ({ domain: p.id, addedAt: p.addedAt })),
        follows: followed.length,
        pendingDeliveries,
      };
    },
  };
}
