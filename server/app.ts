import http from 'node:http';
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import zlib from 'node:zlib';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import type { Config, RateLimitConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { Store } from './store/port.js';
import { openStore } from './store/open-store.js';
import { backupsCollection } from './backup/backup.collections.js';
import { BackupService } from './backup/backup.service.js';
import { loadI18n, relabelTo, seedLanguage } from './i18n/i18n.js';
import type { AppContext } from './context.js';
import { InstanceService } from './instance/instance.service.js';
import { checkLanguageSettings, currentLanguagePolicy, languagePolicy } from './instance/languages.js';
import { currentVisitorSite, pageSite } from './instance/page-site.js';
import { instanceCollection } from './instance/instance.collections.js';
import { clearSiteData, instancePages } from './instance/instance.pages.js';
import { accountsCollections } from './accounts/accounts.collections.js';
import { createPassphraseHasher } from './accounts/passphrase.js';
import { SessionsService } from './accounts/sessions.service.js';
import { AccountKeys } from './accounts/account-keys.js';
import { InvitesService } from './accounts/invites.service.js';
import { AccountsService } from './accounts/accounts.service.js';
import { DeviceCookies } from './accounts/device-cookie.js';
import { LoginGuard } from './accounts/login-guard.js';
import { queuedHasher, VerifyQueue } from './accounts/verify-queue.js';
import { AccountHooks } from './accounts/account-hooks.js';
import { accountsApi } from './accounts/accounts.api.js';
import { accountsPages } from './accounts/accounts.pages.js';
import { forumsCollections } from './forums/forums.collections.js';
import type { Publish } from './core/live.js';
import { ForumChanges } from './forums/changes.js';
import { ForumDocs } from './forums/forum-docs.js';
import { AnonymousIdentities } from './forums/anonymous-identities.js';
import { ReplyNotices } from './forums/reply-notices.js';
import { ForumClaims } from './forums/forum-claims.js';
import { ForumViews } from './forums/forum-views.js';
import { BoardsService } from './forums/boards.service.js';
import { ReadingService } from './forums/reading.service.js';
import { PostingService } from './forums/posting.service.js';
import { ForumModerationService } from './forums/forum-moderation.service.js';
import { RemoteIntakeService } from './forums/remote.service.js';
import { ForumAccountData } from './forums/forum-accounts.js';
import type { ForumServices } from './forums/forum-services.js';
import { ModerationQueueService } from './moderation/queue.service.js';
import { forumsApi } from './forums/forums.api.js';
import { forumsPages } from './forums/forums.pages.js';
import { moderationCollections } from './moderation/moderation.collections.js';
import { ModerationService } from './moderation/moderation.service.js';
import { moderationApi } from './moderation/moderation.api.js';
import { moderationPages } from './moderation/moderation.pages.js';
import { areasCollections } from './areas/areas.collections.js';
import { AreasService } from './areas/areas.service.js';
import { areasApi } from './areas/areas.api.js';
import { notificationsCollection } from './notifications/notifications.collections.js';
import { NotificationsService } from './notifications/notifications.service.js';
import { notificationsApi } from './notifications/notifications.api.js';
import { notificationsPages, unseenCounts } from './notifications/notifications.pages.js';
import { reviewsCollections } from './reviews/reviews.collections.js';
import { ReviewsService } from './reviews/reviews.service.js';
import { ReviewRecords } from './reviews/review-records.js';
import { ReviewClaims } from './reviews/review-claims.js';
import { ReviewAccountData } from './reviews/review-accounts.js';
import { ReviewViews } from './reviews/review-views.js';
import { PartnerSharingService } from './reviews/partner-sharing.service.js';
import { reviewBoardKeys } from './reviews/instance-secret.js';
import { reviewsApi } from './reviews/reviews.api.js';
import { reviewsPages } from './reviews/reviews.pages.js';
import { safetyCollections } from './safety/safety.collections.js';
import { PushService, vapidCollection } from './safety/push.service.js';
import { SafetyService } from './safety/safety.service.js';
import { IncidentsService } from './safety/incidents.service.js';
import { dropClientDigests } from './safety/client-digests.js';
import { safetyApi } from './safety/safety.api.js';
import { safetyPages } from './safety/safety.pages.js';
import { roomsCollections } from './rooms/rooms.collections.js';
import { RoomsService } from './rooms/rooms.service.js';
import { RoomMembers } from './rooms/members.js';
import { RoomPolicy } from './rooms/policy.js';
import { RoomRetention } from './rooms/retention.js';
import { RoomClaims } from './rooms/room-claims.js';
import { RoomPinsService } from './rooms/pins.service.js';
import { RoomMessagesService } from './rooms/messages.service.js';
import { RoomMembershipService } from './rooms/membership.service.js';
import { roomsApi } from './rooms/rooms.api.js';
import { roomsPages } from './rooms/rooms.pages.js';
import { rightsCollections } from './rights/rights.collections.js';
import { RightsService } from './rights/rights.service.js';
import { rightsApi } from './rights/rights.api.js';
import { rightsPages } from './rights/rights.pages.js';
import { deferredLive, roomsRealtime } from './rooms/rooms.socket.js';
import { conversationsApi, conversationsCollections, conversationsPages, createConversations } from './conversations/conversations.module.js';
import { adminApi } from './admin/admin.api.js';
import { adminPages } from './admin/admin.pages.js';
import { adminServices } from './admin/admin.module.js';
import { ApiRouter } from './http/api-router.js';
import { authenticate } from './http/auth.middleware.js';
import { AppError } from './core/errors.js';
import { securityHeaderList, securityHeaders } from './http/security-headers.js';
import { KeptAnswers } from './http/kept-answers.js';
import { csrfProtection, csrfSeed, newCsrfSeedCookie, sameSiteOnly } from './http/csrf.middleware.js';
import { errorHandler } from './http/error-handler.js';
import { createLimiter } from './core/rate-limit.js';
import { openCoordination } from './cluster/coordination.js';
import { drainingOf } from './http/draining.js';
import { systemClock, type Clock } from './core/clock.js';
import { newId } from './crypto.js';
import { jobsCollections } from './jobs/jobs.collections.js';
import { JobLeases } from './jobs/leases.js';
import { BackgroundJobs } from './jobs/background-jobs.js';
import { SESSION_COOKIE } from './http/request.js';
import { requestLocale } from './http/request-locale.js';
import { projectRoot } from './paths.js';
import { messagePage } from './accounts/accounts.views.js';
import { pageContext } from './views/layout.js';
import { mountStaticAssets } from './http/static-assets.js';
import { attachRealtime, type Realtime } from './realtime/realtime.js';
import { attachFederation } from '../federation/index.js';
import { isInboxPost } from '../federation/routes.js';
import { mediaBlobs, mediaCollections } from './media/media.collections.js';
import { attachMedia, createMedia } from './photos.js';
import { attachEvidence } from './evidence.js';

export const VERSION = '0.1.0';

export interface Parasol {
  readonly ctx: AppContext;
  readonly app: express.Express;
  readonly server: http.Server;
  readonly api: ApiRouter;
  readonly realtime: Realtime;
  /** Listens on the configured host and port; resolves with the port actually bound. */
  listen(): Promise<number>;
  /**
   * Stops accepting requests, lets in-flight ones finish, closes the store. With `idleMs`, each keep-alive
   * connection is closed once idle that long (http/draining.ts), not at once: what npm start does on SIGTERM.
   */
  close(options?: { readonly idleMs?: number }): Promise<void>;
}

export interface ParasolOptions {
  readonly logger?: Logger;
  readonly store?: Store;
  /** When check-in deadlines pass; tests move their own clock instead of waiting. */
  readonly clock?: Clock;
}

/** Builds a whole instance: store, services, HTTP app. Used by main.ts, the CLI, tests and benchmarks. */
export async function createParasol(config: Config, options: ParasolOptions = {}): Promise<Parasol> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = options.store ?? (await openStore(config.databaseUrl, {
      // The app sweeps, under a job lease (below), so that one process does it.
      sweepIntervalMs: null,
      databaseKey: config.secrets.databaseKey,
      checkpointDelayMs: config.scrubCheckpointMs,
      onSweepError: (error) => logger.error({ err: error }, 'background database work failed (a retention sweep, or a connection the store reopens)'),
    }));
  await store.declare([
    instanceCollection,
    ...accountsCollections,
    ...forumsCollections,
    ...moderationCollections,
    ...areasCollections,
    notificationsCollection,
    ...reviewsCollections,
    ...safetyCollections,
    ...roomsCollections,
    ...conversationsCollections,
    vapidCollection,
    ...rightsCollections,
    backupsCollection,
    ...jobsCollections,
    ...mediaCollections,
  ]);
  await store.declareBlobs([mediaBlobs]);
  // Each process draws its own id for the leases it holds: nothing about the machine or the process is written.
  const jobs = new BackgroundJobs(new JobLeases(store, newId(), config.jobLeaseMs), logger);
  jobs.every('store-sweep', {
    everyMs: config.sweepIntervalMs,
    run: () => store.sweepExpired(),
  });

  const coordination = await openCoordination(config, store, logger);
  const limiter = (name: string, limit: RateLimitConfig) => createLimiter(limit, name, coordination.limits);
  const i18n = loadI18n(path.join(projectRoot, 'locales'), config.defaultLocale);
  const instance = await new InstanceService(store, { checkChange: (current, patch) => checkLanguageSettings(i18n, current, patch) }).load();
  const languages = currentLanguagePolicy(i18n, instance);
  const hooks = new AccountHooks();
  const sessions = new SessionsService(store, config.sessionMs);
  const invites = new InvitesService(store, instance);
  const verifyQueue = new VerifyQueue(config.passphraseChecks.concurrency, config.passphraseChecks.maxWaiting);
  const hasher = queuedHasher(await createPassphraseHasher(config.argon2), verifyQueue);
  const accounts = new AccountsService({
    store,
    instance,
    keys: new AccountKeys(hasher),
    sessions,
    invites,
    hooks,
    limits: { signup: limiter('signup', config.rateLimits.signup), recovery: limiter('recovery', config.rateLimits.recovery) },
    loginGuard: new LoginGuard(config.rateLimits.login, config.loginChallenge, Date.now, coordination.limits),
    devices: new DeviceCookies(instance.keyedHash),
    locales: i18n.locales,
  });
  const moderation = new ModerationService(store, accounts);
  await moderation.reloadFilters();
  // Live events reach open pages once the real-time layer is attached to the HTTP server below.
  let publishLive: Publish = () => undefined;
  const publish: Publish = (...args) => publishLive(...args);
  const forumDocs = new ForumDocs(store);
  const notifications = new NotificationsService(store, hooks, (...args) => publishLive(...args));
  const anonymousIdentities = new AnonymousIdentities(store);
  const replyNotices = new ReplyNotices(store, forumDocs, notifications);
  notifications.pullFrom('forum', replyNotices);
  const forumViews = new ForumViews(forumDocs, accounts, anonymousIdentities);
  const forumChanges = new ForumChanges();
  const forumModeration = new ForumModerationService({ store, docs: forumDocs, views: forumViews, moderation, publish, changes: forumChanges, identities: anonymousIdentities, replies: replyNotices });
  const forums: ForumServices = {
    changes: forumChanges,
    boards: new BoardsService({ store, docs: forumDocs, views: forumViews, accounts, moderation, changes: forumChanges }),
    reading: new ReadingService({ docs: forumDocs, views: forumViews, changes: forumChanges }),
    posting: new PostingService({ store, docs: forumDocs, views: forumViews, moderation, postingLimit: limiter('posting', config.rateLimits.posting), publish, changes: forumChanges, identities: anonymousIdentities, replies: replyNotices }),
    moderating: forumModeration,
    remote: new RemoteIntakeService({ store, docs: forumDocs, moderation, publish, changes: forumChanges, replies: replyNotices }),
  };
  const forumClaims = new ForumClaims(store, forumChanges);
  new ForumAccountData(store, forumDocs, forumChanges, forumClaims).register(hooks);
  const moderationQueue = new ModerationQueueService({ store, moderation, accounts, content: forumModeration });
  // Starter content is written once, in the instance's default language; the admin's choice at setup relabels it.
  const starterLanguage = seedLanguage(i18n, languagePolicy(i18n, instance.settings()).fallback);
  await forums.boards.seedStarterBoards(starterLanguage);
  await forums.posting.backfillReactionThreads();
  await forumClaims.migrate();
  await anonymousIdentities.backfillReplyMarks(Date.now());
  const areas = await new AreasService(store, hooks).load();
  const reviewRecords = new ReviewRecords(store, areas, notifications);
  const boardKeys = reviewBoardKeys(config.secrets.instanceSecret, instance);
  await boardKeys.prepare(store);
  const reviews = new ReviewsService({
    store,
    records: reviewRecords,
    views: new ReviewViews(store, accounts, areas),
    accounts,
    instance,
    areas,
    notifications,
    moderation,
    lookupLimit: limiter('lookup', config.rateLimits.lookup),
    config: config.reviews,
    boardKeys,
  });
  await reviews.seed(starterLanguage);
  const reviewClaims = new ReviewClaims(store, reviewRecords);
  new ReviewAccountData(store, reviewRecords, reviewClaims).register(hooks);
  await reviewClaims.migrate();
  const reviewSharing = new PartnerSharingService({ store, records: reviewRecords, accounts, areas, lifetimeMs: config.reviews.lifetimeMs });
  const push = await new PushService(store, hooks, logger, { publicUrl: config.publicUrl, allowPrivateNetwork: config.allowPrivateNetwork }).load();
  await dropClientDigests(store);
  const clock = options.clock ?? systemClock;
  const safety = new SafetyService({
    store,
    accounts,
    areas,
    notifications,
    instance,
    push,
    hooks,
    publish: (...args) => publishLive(...args),
    config: config.safety,
    clock,
  });
  // Deadlines that passed while no process was running are alerted at start, before anything else.
  jobs.every('checkin-scan', { everyMs: config.safety.scanIntervalMs, atStart: true, clock, run: () => safety.alertOverdue() });
  const incidents = new IncidentsService({
    store,
    accounts,
    notifications,
    hooks,
    publish: (...args) => publishLive(...args),
    retentionMs: config.safety.incidentRetentionMs,
  });
  const roomsLive = deferredLive();
  const roomMembers = new RoomMembers(store);
  const roomPolicy = new RoomPolicy(store, roomMembers, moderation);
  const roomClaims = new RoomClaims(store);
  await roomClaims.migrate();
  const roomRetention = new RoomRetention(store, roomMembers, roomClaims, hooks);
  const roomPins = new RoomPinsService(store, roomPolicy, roomsLive);
  const roomMessages = new RoomMessagesService({
    store,
    policy: roomPolicy,
    members: roomMembers,
    pins: roomPins,
    retention: roomRetention,
    messageLimit: limiter('room-messages', config.rateLimits.roomMessages),
    live: roomsLive,
  });
  const roomMembership = new RoomMembershipService({ store, policy: roomPolicy, members: roomMembers, instance, live: roomsLive });
  const rooms = {
    rooms: new RoomsService({ store, policy: roomPolicy, members: roomMembers, membership: roomMembership, messages: roomMessages, retention: roomRetention, live: roomsLive }),
    membership: roomMembership,
    messages: roomMessages,
    pins: roomPins,
    claims: roomClaims,
    retention: roomRetention,
  };
  const media = createMedia(store, config, coordination.limits);
  const conversations = createConversations({ store, accounts, buddies: safety, moderation, notifications, hooks, media, clock, messageLimit: limiter('conversation-messages', config.rateLimits.conversationMessages), startLimit: limiter('conversation-starts', config.rateLimits.conversationStarts) });
  const rights = new RightsService({ store, areas, locales: i18n.locales, defaultLocale: i18n.defaultLocale });
  await rights.seed(i18n.locales.map((locale) => seedLanguage(i18n, locale)), starterLanguage);
  const secure = config.publicUrl.startsWith('https:');
  const parseCookies = cookieParser();
  const locales = requestLocale(i18n, languages);
  const keptAnswers = new KeptAnswers({
    headers: securityHeaderList(secure),
    sessionCookie: SESSION_COOKIE,
    cookies: (req, res) => {
      parseCookies(req as Request, res as Response, () => undefined);
      return (req as Request).cookies as Record<string, unknown>;
    },
    locale: locales.visitorLocale,
    site: currentVisitorSite(i18n, instance),
    csrfCookie: (cookies) => (csrfSeed(cookies) === null ? newCsrfSeedCookie(secure).header : null),
    onError: (error) => logger.error({ err: error }, 'kept answer failed; answering the whole way'),
  });
  const ctx: AppContext = {
    config,
    logger,
    store,
    i18n,
    instance,
    accounts,
    sessions,
    invites,
    hooks,
    moderation,
    moderationQueue,
    forums,
    areas,
    notifications,
    reviews,
    reviewSharing,
    push,
    safety,
    incidents,
    rooms,
    conversations,
    rights,
    backups: new BackupService(store),
    media,
    jobs,
    limits: coordination.limits,
    keptAnswers,
    cookie: { secure, sessionMs: config.sessionMs },
    page: (req: Request) => pageContext(req, i18n, pageSite(i18n, instance.settings(), req.account)),
    async relabelStarterContent(locale: string): Promise<void> {
      const relabel = relabelTo(i18n, locale);
      await forums.boards.relabelStarterBoards(relabel);
      await reviews.relabelStarterBoard(relabel);
      await rights.relabelPlaceholders(relabel);
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', 'strong');
  const headers = securityHeaders(secure);
  // A 256 KB Brotli window instead of 4 MB: pages and API answers are far smaller, and each open response holds one.
  const compress = compression({ brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_LGWIN]: 18 } } });
  app.use((req, res, next) => {
    // Inbox answers are a status for another server, never rendered or compressed: a page's headers (the CSP
    // among them) were a twentieth of an inbound activity's cost.
    if (isInboxPost(req)) {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      next();
      return;
    }
    headers(req, res, (error?: unknown) => (error === undefined ? compress(req, res, next) : next(error)));
  });
  mountStaticAssets(app);
  // Another process's change to the instance's settings or areas shows from the next request on (core/kept-copy.ts).
  app.use((_req, _res, next) => {
    Promise.all([ctx.instance.refresh(), ctx.areas.refresh()]).then(() => next(), next);
  });
  const api = new ApiRouter();
  // ActivityPub and discovery: server-to-server requests, before cookies and sessions.
  const federation = await attachFederation(app, api, ctx);
  app.use(parseCookies, locales.visitor, authenticate(sessions, ctx.cookie), locales.member, unseenCounts(notifications));

  attachMedia(app, api, ctx);
  attachEvidence(app, api, ctx);
  accountsApi(api, ctx);
  const admin = adminServices(ctx, { federation: federation ? () => federation.overview() : null, passphraseChecks: () => verifyQueue.load() });
  adminApi(api, ctx, admin);
  forumsApi(api, ctx);
  areasApi(api, ctx);
  notificationsApi(api, ctx);
  reviewsApi(api, ctx);
  safetyApi(api, ctx);
  roomsApi(api, ctx);
  conversationsApi(api, ctx);
  rightsApi(api, ctx);
  moderationApi(api, ctx);
  api.route({
    method: 'get', path: '/openapi.json', tag: 'meta', access: 'public', summary: 'This API description',
    handler: async () => api.openApi({ title: 'Parasol API', version: VERSION, serverUrl: config.publicUrl }),
  });

  const publicOrigin = new URL(config.publicUrl).origin;
  app.use(
    '/api/v1',
    (req, _res, next) => {
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      // A multipart call (photos) was read already (attachMedia), its JSON from its `body` field.
      if (hasBody && !req.is('application/json') && req.uploads === undefined) next(new AppError(415, 'json_only'));
      else next();
    },
    express.json({ limit: '64kb', strict: true }),
    csrfProtection(instance.keyedHash, secure, publicOrigin, 'api'),
    api.router,
    (_req, _res, next) => next(new AppError(404, 'not_found')),
  );

  app.post('/exit', sameSiteOnly(publicOrigin), clearSiteData);
  app.use(
    express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }),
    csrfProtection(instance.keyedHash, secure, publicOrigin, 'form'),
  );
  app.use(instancePages(ctx));
  app.use(forumsPages(ctx));
  app.use(moderationPages(ctx));
  app.use(reviewsPages(ctx));
  app.use(notificationsPages(ctx));
  app.use(safetyPages(ctx));
  app.use(roomsPages(ctx));
  app.use(conversationsPages(ctx));
  app.use(rightsPages(ctx));
  app.use(accountsPages(ctx));
  if (federation) app.use(federation.pages);
  app.use(adminPages(ctx, admin));
  app.use((_req, _res, next) => next(new AppError(404, 'not_found')));
  app.use(errorHandler({ i18n: ctx.i18n, logger: ctx.logger, messagePage: (req, title, message) => messagePage(ctx.page(req), title, message) }));

  // Kept answers for visitors and bearer tokens go out before express and every middleware (see http/kept-answers.ts).
  const server = http.createServer((req, res) => {
    const kept = keptAnswers.answer(req, res);
    if (kept === false) app(req, res);
    else if (kept !== true) void kept.then((sent) => (sent ? undefined : app(req, res)));
  });
  const draining = drainingOf(server);
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  const realtime = attachRealtime(server, { sessions, logger, publicOrigin, adapter: coordination.realtime });
  sessions.onEnded((ids) => realtime.disconnectSessions(ids));
  sessions.onCompromise(async ({ accountId, keptSessionId }) => {
    await push.unsubscribeAll(accountId);
    realtime.disconnectAccount(accountId, keptSessionId);
  });
  jobs.relayWakes((job) => realtime.relayWake(job));
  realtime.onWake((job) => jobs.woken(job));
  realtime.channel('thread', (viewer, id, key) => forums.reading.canViewThread(viewer, key, id));
  realtime.channel('account', async (viewer, id) => viewer?.id === id);
  publishLive = (family, id, event, payload) => realtime.publish(family, id, event, payload);
  roomsLive.attach(
    roomsRealtime(realtime.namespace('/rooms', { requireAccount: true }), { rooms, i18n, logger, eventLimit: limiter('room-events', config.rateLimits.roomEvents) }),
  );
  conversations.attach(realtime, { i18n, logger, eventLimit: limiter('conversation-events', config.rateLimits.roomEvents) });

  return {
    ctx,
    app,
    server,
    api,
    realtime,
    listen: async () => {
      await jobs.start();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : config.port);
        });
      });
    },
    close: async (options = {}) => {
      // Stops accepting at once; open connections end with their answers meanwhile.
      const drained = draining.close(options.idleMs ?? 0);
      // The jobs: a delivery in flight finishes, and another process takes the leases over at once.
      await jobs.stop();
      // Open websockets would keep the HTTP server from closing.
      await realtime.close();
      await drained;
      await coordination.close();
      await store.close();
    },
  };
}
