import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { createResponseCache } from '../http/response-cache.js';
import {
  banInput,
  boardInput,
  boardPatchInput,
  editInput,
  pageInput,
  postModerationInput,
  reactionInput,
  replyInput,
  searchInput,
  threadInput,
  threadModerationInput,
} from './forums.schemas.js';
import { reportInput } from '../moderation/moderation.service.js';
import { param } from '../http/route-param.js';
import { AppError } from '../core/errors.js';
import { preparePhotos } from '../media/media.routes.js';
import { attachToPost } from './post-photos.js';

/** Pages of threads as members get them (shared, or a reader's own: see threadAnswer), kept compressed: a few KB each. */
const THREAD_ANSWERS = 4_000;
/** How long a change outside the thread (a renamed member) may take to show. */
const THREAD_ANSWER_TTL_MS = 60_000;
/** The thread JSON's path as express matches `/api/v1/threads/:id`, for answers kept before the middleware. */
const THREAD_API_PATH = /^\/api\/v1\/threads\/[^/]+\/?$/i;
/** A thread JSON address with an id of URL-safe characters and no query (ids are base64url). */
const PLAIN_THREAD_ADDRESS = /^\/api\/v1\/threads\/([A-Za-z0-9_-]+)\/?$/i;
/** Every reader asks again before showing a kept copy: a moderator's removal must show at once. */
const THREAD_CACHE_CONTROL = 'private, no-cache';
/** A visitor's answer depends only on the address: the thread, and the page of it the query names. */
const visitorKey = (url: string) => `visitor\u0000${url}`;

/**
 * The thread and query of a thread JSON address, as express reads them for the route; null for a query express
 * would read differently (a repeated or bracketed name), which the whole way answers.
 */
function threadRequest(url: string): { id: string; query: Record<string, string> } | null {
  // The common address, a thread's id alone: parsing it as a URL would change nothing and cost more than the rest.
  const plain = PLAIN_THREAD_ADDRESS.exec(url);
  if (plain) return { id: plain[1]!, query: {} };
  const parsed = new URL(url, 'http://localhost');
  const id = decodeURIComponent(parsed.pathname.replace(/\/$/, '').split('/').pop() ?? '');
  const query: Record<string, string> = {};
  for (const [name, value] of parsed.searchParams) {
    if (name in query || name.includes('[')) return null;
    query[name] = value;
  }
  return { id, query };
}

export function forumsApi(api: ApiRouter, ctx: AppContext): void {
  const { forums } = ctx;
  const tag = 'forums';
  const threadAnswers = createResponseCache({ maxEntries: THREAD_ANSWERS, ttlMs: THREAD_ANSWER_TTL_MS, contentType: 'application/json; charset=utf-8' });
  forums.changes.onChange((threadId) => threadAnswers.invalidate(threadId));
  ctx.keptAnswers.add({
    path: THREAD_API_PATH,
    kind: 'api',
    cache: threadAnswers,
    headers: [['Cache-Control', THREAD_CACHE_CONTROL]],
    key: (visitor) => visitorKey(visitor.url),
    // As the handler below works it out for a signed-in reader; any refusal goes the whole way, which says why.
    bearerKey: async (authorization, url) => {
      try {
        const request = threadRequest(url);
        if (request === null) return null;
        const { account, memberKey } = await ctx.sessions.fromBearer(authorization);
        return (await forums.reading.threadAnswer(account, memberKey ?? null, request.id, request.query)).key;
      } catch (error) {
        if (error instanceof AppError || error instanceof URIError) return null;
        throw error;
      }
    },
  });

  api.route({
    method: 'get', path: '/boards', tag, access: 'public', summary: 'Boards you can read, in order',
    handler: async ({ account }) => ({ boards: await forums.boards.listBoards(account) }),
  });
  api.route({
    method: 'post', path: '/boards', tag, access: 'moderator', body: boardInput, status: 201, summary: 'Create a board',
    handler: async ({ req, account }) => ({ board: await forums.boards.createBoard(account!, req.body) }),
  });
  api.route({
    method: 'get', path: '/boards/:slug', tag, access: 'public', summary: 'One board',
    handler: async ({ req, account }) => ({ board: await forums.boards.getBoard(account, param(req.params.slug)) }),
  });
  api.route({
    method: 'patch', path: '/boards/:slug', tag, access: 'member', body: boardPatchInput,
    summary: 'Change a board: name, description, language, order, archive, visibility, first-post approval, slow mode, remote media (pictures of posts from other servers), its moderators',
    handler: async ({ req, account }) => ({ board: await forums.boards.updateBoard(account!, param(req.params.slug), req.body) }),
  });
  api.route({
    method: 'delete', path: '/boards/:slug', tag, access: 'admin', summary: 'Delete a board with all its threads',
    handler: ({ req, account }) => noContent(forums.boards.deleteBoard(account!, param(req.params.slug))),
  });
  api.route({
    method: 'get', path: '/boards/:slug/threads', tag, access: 'public', query: pageInput,
    summary: 'Threads of a board: pinned first, then newest activity (cursor-paginated with `after`)',
    handler: async ({ req, account }) => forums.reading.listThreads(account, param(req.params.slug), req.query),
  });
  api.route({
    method: 'post', path: '/boards/:slug/threads', tag, access: 'account', body: threadInput, status: 201,
    summary: 'Start a thread: {title, body (Markdown), anonymous?, contentWarning?}; with photos, multipart/form-data: the JSON in `body`, up to 4 `photos`, `alt` per photo, `sensitive` indexes',
    handler: async ({ req, account }) => {
      const photos = await preparePhotos(ctx.media, req, () => forums.posting.photoQuotaKey(account, req.memberKey ?? null, { slug: param(req.params.slug) }, req.body));
      const created = await forums.posting.createThread(account, req.memberKey ?? null, param(req.params.slug), req.body);
      return { ...created, photos: await attachToPost(ctx, created.post, photos) };
    },
  });
  api.route({
    method: 'get', path: '/threads/:id', tag, access: 'public', query: pageInput,
    summary: 'A thread and a page of its posts, oldest first (cursor-paginated with `after`)',
    handler: async ({ req, res, account }) => {
      const id = param(req.params.id);
      // Taken before the key is worked out: a change meanwhile (the reader's own reaction, say) keeps the answer out of the cache.
      const version = threadAnswers.version();
      const answer = await forums.reading.threadAnswer(account, req.memberKey ?? null, id, req.query);
      // A visitor's under its address, which the answers kept before the middleware can work out alone.
      const key = account ? answer.key : visitorKey(req.originalUrl);
      const makeView = answer.view;
      res.setHeader('Cache-Control', THREAD_CACHE_CONTROL);
      if (threadAnswers.serve(req, res, key)) return undefined;
      const view = await makeView();
      threadAnswers.store(key, id, JSON.stringify(view), version);
      return threadAnswers.serve(req, res, key) ? undefined : view;
    },
  });
  api.route({
    method: 'patch', path: '/threads/:id', tag, access: 'member', body: threadModerationInput,
    summary: 'Moderate a thread: pin, unpin, lock, unlock, move (to `board`), remove (with reason), restore',
    handler: async ({ req, account }) => ({ thread: await forums.moderating.moderateThread(account, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'post', path: '/threads/:id/posts', tag, access: 'account', body: replyInput, status: 201,
    summary: 'Reply: {body, anonymous?, contentWarning?, quoteOf?}; without anonymous, a reply in a thread you started anonymously is anonymous; photos as for a thread',
    handler: async ({ req, account }) => {
      const photos = await preparePhotos(ctx.media, req, () => forums.posting.photoQuotaKey(account, req.memberKey ?? null, { threadId: param(req.params.id) }, req.body));
      const post = await forums.posting.reply(account, req.memberKey ?? null, param(req.params.id), req.body);
      return { post, photos: await attachToPost(ctx, post, photos) };
    },
  });
  api.route({
    method: 'get', path: '/posts/:id', tag, access: 'public', summary: 'One post',
    handler: async ({ req, account }) => ({ post: await forums.reading.getPost(account, req.memberKey ?? null, param(req.params.id)) }),
  });
  api.route({
    method: 'patch', path: '/posts/:id', tag, access: 'account', body: editInput, summary: 'Edit your post (body, content warning, thread title)',
    handler: async ({ req, account }) => ({ post: await forums.posting.editPost(account, req.memberKey ?? null, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'delete', path: '/posts/:id', tag, access: 'account', summary: 'Delete your post',
    handler: ({ req, account }) => noContent(forums.posting.deletePost(account, req.memberKey ?? null, param(req.params.id))),
  });
  api.route({
    method: 'post', path: '/posts/:id/reactions', tag, access: 'account', body: reactionInput,
    summary: 'Add or take back a supportive reaction (heart, hug, strong, thanks, same); answers the counts',
    handler: async ({ req, account }) => forums.posting.react(account, req.memberKey ?? null, param(req.params.id), req.body),
  });
  api.route({
    method: 'post', path: '/posts/:id/reports', tag, access: 'account', body: reportInput, status: 201,
    summary: 'Report a post to the board’s moderators: {reason, note?}',
    handler: async ({ req, account }) => {
      const report = await forums.posting.report(account, req.memberKey ?? null, param(req.params.id), req.body);
      return { report: { id: report.id, reason: report.reason, createdAt: report.createdAt } };
    },
  });
  api.route({
    method: 'get', path: '/posts/:id/revisions', tag, access: 'member', summary: 'Earlier versions of an edited post (moderators only)',
    handler: async ({ req, account }) => ({ revisions: await forums.reading.revisions(account, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/posts/:id/moderation', tag, access: 'member', body: postModerationInput,
    summary: 'Moderate a post: hide, unhide, remove (reason shown to the author), restore, approve',
    handler: async ({ req, account }) => ({ post: await forums.moderating.moderatePost(account, param(req.params.id), req.body, req.memberKey ?? null) }),
  });
  api.route({
    method: 'post', path: '/posts/:id/ban', tag, access: 'member', body: banInput, status: 201,
    summary: 'Ban the anonymous member who wrote this post from posting anonymously on its board again: {reason}',
    handler: async ({ req, account }) => forums.moderating.banAnonymous(account, param(req.params.id), req.body),
  });
  api.route({
    method: 'get', path: '/boards/:slug/bans', tag, access: 'member',
    summary: 'The anonymous members banned from a board (moderators): by their number on the board and the reason, never by account',
    handler: async ({ req, account }) => forums.moderating.anonymousBans(account, param(req.params.slug)),
  });
  api.route({
    method: 'delete', path: '/boards/:slug/bans/:id', tag, access: 'member',
    summary: 'Lift a ban: the anonymous member may post anonymously on the board again (logged)',
    handler: async ({ req, account }) => forums.moderating.liftAnonymousBan(account, param(req.params.slug), param(req.params.id)),
  });
  api.route({
    method: 'get', path: '/search', tag, access: 'public', query: searchInput, summary: 'Search the posts you may read (every word must occur)',
    handler: async ({ req, account }) => forums.reading.search(account, req.memberKey ?? null, req.query),
  });
}
