import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { anyAccount, formBody, formPost, formState, handle, sendPage, signedInOnly } from '../http/pages.js';
import { AppError } from '../core/errors.js';
import { createResponseCache } from '../http/response-cache.js';
import type { VisitorSite } from '../http/kept-answers.js';
import type { FormState } from '../views/layout.js';
import type { PreparedPhotos } from '../media/media.service.js';
import { attachToPost } from './post-photos.js';
import { banPage } from './bans.views.js';
import type { BoardView } from './forum-views.js';
import { boardsPages } from './boards.pages.js';
import { boardPage, editPage, homePage, postItem, reportPage, revisionsPage, searchPage, threadPage } from './forums.views.js';
import { param } from '../http/route-param.js';
import { preparePhotos } from '../media/media.routes.js';

/** How many visitors' thread pages are kept, and for how long at most (changes to the thread drop them at once). */
const VISITOR_PAGES = 2_000;
const VISITOR_PAGE_TTL_MS = 60_000;

/** The thread page's paths as express matches `/t/:id`, for answers kept before the middleware. */
const THREAD_PAGE_PATH = /^\/t\/[^/]+\/?$/i;

/** Everything a visitor's thread page depends on besides the thread: the language, the address, and the site's name and exit. */
const visitorPageKey = (locale: string, url: string, site: VisitorSite) => [locale, url, site.name, site.discreet, site.genericTitles, site.quickExitUrl].join('\u0000');

const pageQuery = (req: Request) => (typeof req.query.after === 'string' ? { after: req.query.after } : {});

/** Forum pages: everything works with plain links and forms; live updates are an extra. */
export function forumsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { forums } = ctx;
  router.use(boardsPages(ctx));
  const attachPostPhotos = (post: { id: string; threadId: string }, photos: PreparedPhotos) => attachToPost(ctx, post, photos);

  router.get('/', handle(async (req, res) => sendPage(res, homePage(ctx.page(req), await forums.boards.listBoards(req.account), { remoteBoards: ctx.config.federation.enabled }))));

  // A public board and its threads federate: their pages name their ActivityPub documents (their own addresses).
  const federates = (board: BoardView) => ctx.config.federation.enabled && board.visibility === 'public';
  const renderBoard = async (req: Request, state?: FormState) => {
    const data = await forums.reading.listThreads(req.account, param(req.params.slug), state ? {} : pageQuery(req));
    return boardPage(ctx.page(req), data, state, federates(data.board) ? `${ctx.config.publicUrl}/b/${data.board.slug}` : null);
  };

  router.get('/b/:slug', handle(async (req, res) => sendPage(res, await renderBoard(req))));
  router.post(
    '/b/:slug/threads',
    formPost(async (req, res) => {
      const photos = await preparePhotos(ctx.media, req, () => forums.posting.photoQuotaKey(req.account, req.memberKey ?? null, { slug: param(req.params.slug) }, formBody(req)));
      const { thread, post } = await forums.posting.createThread(req.account, req.memberKey ?? null, param(req.params.slug), formBody(req));
      await attachPostPhotos(post, photos);
      res.redirect(303, `/t/${thread.id}`);
    }, renderBoard),
  );

  async function renderThread(req: Request, state?: FormState) {
    const id = param(req.params.id);
    const after = typeof req.query.after === 'string' ? req.query.after : null;
    const view = await forums.reading.getThread(req.account, req.memberKey ?? null, id, after ? { after } : {});
    const quoteId = typeof req.query.quote === 'string' ? req.query.quote : typeof req.body?.quoteOf === 'string' ? (req.body.quoteOf as string) : '';
    const quote = quoteId ? await forums.reading.getPost(req.account, req.memberKey ?? null, quoteId).catch(() => null) : null;
    const alternate = federates(view.board) && view.thread.state === 'visible' ? `${ctx.config.publicUrl}/t/${view.thread.id}` : null;
    const reported = req.query.reported === '1' && !!req.account;
    const photos = await ctx.media.photosOf('post', view.posts.map((post) => post.id));
    return threadPage(ctx.page(req), view, { quote: quote && quote.threadId === id ? quote : null, after, alternate, reported, photos }, state);
  }

  const visitorPages = createResponseCache({ maxEntries: VISITOR_PAGES, ttlMs: VISITOR_PAGE_TTL_MS });
  forums.changes.onChange((threadId) => visitorPages.invalidate(threadId));
  // A thread's address also answers its ActivityPub document to those who ask for it (federation/routes.ts), so
  // every answer of the page says it depends on Accept, whether or not this instance federates.
  ctx.keptAnswers.add({
    path: THREAD_PAGE_PATH,
    kind: 'page',
    cache: visitorPages,
    headers: [['Vary', 'Accept']],
    key: (visitor) => visitorPageKey(visitor.locale(), visitor.url, visitor.site()),
  });

  router.get(
    '/t/:id',
    handle(async (req, res) => {
      res.vary('Accept');
      const cacheable = !req.account && Object.keys(req.query).every((k) => k === 'after');
      if (!cacheable) {
        sendPage(res, await renderThread(req));
        return;
      }
      const page = ctx.page(req);
      const key = visitorPageKey(req.locale, req.originalUrl, { name: page.instanceName, discreet: page.discreet, genericTitles: page.genericTitles, quickExitUrl: page.quickExitUrl });
      if (visitorPages.serve(req, res, key)) return;
      const version = visitorPages.version();
      const html = await renderThread(req);
      visitorPages.store(key, param(req.params.id), html.value, version);
      // The same bytes and ETag as every later visitor gets; the page is sent as it is when it was not kept.
      if (!visitorPages.serve(req, res, key)) sendPage(res, html);
    }),
  );
  router.post(
    '/t/:id/posts',
    formPost(async (req, res) => {
      const photos = await preparePhotos(ctx.media, req, () => forums.posting.photoQuotaKey(req.account, req.memberKey ?? null, { threadId: param(req.params.id) }, formBody(req)));
      const post = await forums.posting.reply(req.account, req.memberKey ?? null, param(req.params.id), formBody(req));
      await attachPostPhotos(post, photos);
      res.redirect(303, `/t/${post.threadId}#p-${post.id}`);
    }, renderThread),
  );
  router.post(
    '/t/:id/moderate',
    formPost(async (req, res) => {
      const thread = await forums.moderating.moderateThread(req.account, param(req.params.id), formBody(req));
      res.redirect(303, `/t/${thread.id}`);
    }, renderThread),
  );

  /** One post as the thread page shows it, for live updates. */
  router.get(
    '/p/:id/fragment',
    handle(async (req, res) => {
      const post = await forums.reading.getPost(req.account, req.memberKey ?? null, param(req.params.id));
      const view = await forums.reading.getThread(req.account, req.memberKey ?? null, post.threadId, { limit: 1 });
      res.setHeader('Cache-Control', 'private, no-store');
      const photos = await ctx.media.photosOf('post', [post.id]);
      sendPage(res, postItem(ctx.page(req), post, view.thread, view.canReply, photos.get(post.id)));
    }),
  );

  /** Forms that act on a post go back to the post in its thread when they succeed, and show the thread with the error when not. */
  async function threadOfPost(req: Request, state: FormState) {
    const post = await forums.reading.getPost(req.account, req.memberKey ?? null, param(req.params.id));
    req.params.id = post.threadId;
    return renderThread(req, state);
  }

  router.post(
    '/p/:id/react',
    formPost(async (req, res) => {
      const id = param(req.params.id);
      await forums.posting.react(req.account, req.memberKey ?? null, id, formBody(req));
      const post = await forums.reading.getPost(req.account, req.memberKey ?? null, id);
      res.redirect(303, `/t/${post.threadId}#p-${id}`);
    }, threadOfPost),
  );

  router.post(
    '/p/:id/moderate',
    formPost(async (req, res) => {
      const post = await forums.moderating.moderatePost(req.account, param(req.params.id), formBody(req), req.memberKey ?? null);
      res.redirect(303, `/t/${post.threadId}#p-${post.id}`);
    }, threadOfPost),
  );

  const renderBan = async (req: Request, state?: FormState) => {
    const post = await forums.reading.getPost(req.account, req.memberKey ?? null, param(req.params.id));
    if (!post.canModerate) throw new AppError(403, 'moderator_only');
    return banPage(ctx.page(req), post, state);
  };
  router.get('/p/:id/ban', signedInOnly(), handle(async (req, res) => sendPage(res, await renderBan(req))));
  router.post(
    '/p/:id/ban',
    formPost(async (req, res) => {
      const banned = await forums.moderating.banAnonymous(req.account, param(req.params.id), formBody(req));
      res.redirect(303, `/mod/boards/${banned.board}/bans?banned=${banned.anonymousNumber ?? ''}`);
    }, renderBan),
  );

  const renderEdit = async (req: Request, state?: FormState) => {
    const post = await forums.reading.getPost(req.account, req.memberKey ?? null, param(req.params.id));
    if (!post.canEdit) throw new AppError(403, 'not_author');
    const thread = await forums.reading.getThread(req.account, req.memberKey ?? null, post.threadId, { limit: 1 });
    return editPage(ctx.page(req), post, post.isOpening, thread.thread.title, state);
  };
  router.get('/p/:id/edit', handle(async (req, res) => sendPage(res, await renderEdit(req))));
  router.post(
    '/p/:id/edit',
    formPost(async (req, res) => {
      const body = formBody(req);
      const post = await forums.posting.editPost(req.account, req.memberKey ?? null, param(req.params.id), body);
      res.redirect(303, `/t/${post.threadId}#p-${post.id}`);
    }, renderEdit),
  );
  router.post(
    '/p/:id/delete',
    formPost(async (req, res) => {
      const post = await forums.reading.getPost(req.account, req.memberKey ?? null, param(req.params.id));
      await forums.posting.deletePost(req.account, req.memberKey ?? null, post.id);
      res.redirect(303, `/t/${post.threadId}`);
    }, renderEdit),
  );

  const renderReport = async (req: Request, state?: FormState) => reportPage(ctx.page(req), await forums.reading.getPost(req.account, req.memberKey ?? null, param(req.params.id)), state);
  router.get(
    '/p/:id/report',
    signedInOnly(anyAccount),
    handle(async (req, res) => sendPage(res, await renderReport(req))),
  );
  router.post(
    '/p/:id/report',
    formPost(async (req, res) => {
      const post = await forums.reading.getPost(req.account, req.memberKey ?? null, param(req.params.id));
      await forums.posting.report(req.account, req.memberKey ?? null, post.id, formBody(req));
      res.redirect(303, `/t/${post.threadId}?reported=1#p-${post.id}`);
    }, renderReport),
  );

  router.get(
    '/p/:id/revisions',
    handle(async (req, res) => {
      const id = param(req.params.id);
      const revisions = await forums.reading.revisions(req.account, id);
      const post = await forums.reading.getPost(req.account, req.memberKey ?? null, id);
      sendPage(res, revisionsPage(ctx.page(req), id, post.threadId, revisions));
    }),
  );

  router.get(
    '/search',
    handle(async (req, res) => {
      const q = typeof req.query.q === 'string' ? req.query.q : '';
      if (!q.trim()) {
        sendPage(res, searchPage(ctx.page(req), '', null));
        return;
      }
      try {
        const result = await forums.reading.search(req.account, req.memberKey ?? null, { q, ...pageQuery(req) });
        sendPage(res, searchPage(ctx.page(req), q, result));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        sendPage(res, searchPage(ctx.page(req), q, null, formState(req, error, { q })), error.status);
      }
    }),
  );

  return router;
}
