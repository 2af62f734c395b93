import express, { type Request } from 'express';
import type { AppContext } from '../../server/context.js';
import { cleanHtml } from '../../server/content/markdown.js';
import { BODY_MAX } from '../../server/forums/forums.schemas.js';
import { notFound } from '../../server/core/errors.js';
import { awaitingApproval, formBody, formPost, handle, sendPage, signedInOnly } from '../../server/http/pages.js';
import { html, raw, type SafeHtml } from '../../server/views/html.js';
import { photoGallery } from '../../server/media/media.views.js';
import type { PhotoView } from '../../server/media/media.service.js';
import { csrfField, errorBox, formatDay, formatTime, icon, layout, type FormState, type PageContext } from '../../server/views/layout.js';
import type { ApexObject } from '../apex-types.js';
import { apFollowsCollection, type ApFollowDoc, type ApRemotePostDoc } from '../federation.collections.js';
import type { FollowsService } from './follows.js';
import type { RemoteBoardStats, RemoteMirror, RemoteThreadPage, RemoteThreadSummary } from './mirror.js';
import type { RemotePosting } from './remote-posting.js';
import type { RemoteLikes, RemoteReactions } from './remote-reactions.js';
import { hostOf } from '../as.js';
import { Iris } from '../iris.js';

export interface MirrorPagesDeps {
  readonly mirror: RemoteMirror;
  readonly follows: FollowsService;
  /** apex's store: the remote actors (boards, and authors when known) as they were last fetched. Never fetches. */
  readonly objects: { getObject(id: string): Promise<ApexObject | null> };
  /** Sends members' replies to the remote board (remote-posting.ts). */
  readonly posting: RemotePosting;
  /** Sends members' likes to the remote board (remote-reactions.ts). */
  readonly reactions: RemoteReactions;
}

/** A followed remote board as the pages show it. */
interface RemoteBoard {
  /** The follow's id: the board's address here (/remote/<id>). */
  readonly id: string;
  readonly iri: string;
  readonly name: string;
  readonly host: string;
  /** The Group's description, cleaned like posts, or null. */
  readonly summaryHtml: string | null;
}

type RemoteAuthor = { readonly kind: 'anonymous' } | { readonly kind: 'actor'; readonly name: string | null; readonly handle: string; readonly host: string };

const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);
// Controls and format characters (bidirectional overrides, zero-width ones) in a remote name could disguise what is shown around it.
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}]/gu;
const NAME_MAX = 100;

/** A short piece of remote text fit to show as a name, or null. */
function plainName(value: unknown): string | null {
  const v = first(value);
  if (typeof v !== 'string') return null;
  const clean = v.replace(UNSAFE_CHARS, '').trim();
  return clean ? [...clean].slice(0, NAME_MAX).join('') : null;
}

/** The last part of an IRI's path (`/ap/u/<handle>`, `/users/<name>`, `/u/<name>`): a fair guess at a handle when the actor was never fetched. */
function lastSegment(iri: string): string {
  let segment = '';
  try {
    segment = new URL(iri).pathname.split('/').filter(Boolean).pop() ?? '';
    segment = decodeURIComponent(segment);
  } catch {
    // An undecodable segment is shown as it is.
  }
  return plainName(segment) ?? '';
}

/** Only links to the web: a remote id with another scheme is not offered. */
function webLink(iri: string): string | null {
  try {
    const url = new URL(iri);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A thread's address part: its IRI, base64url (IRIs have slashes; query strings would be easy to mangle when shared). */
const threadKey = (iri: string) => Buffer.from(iri, 'utf8').toString('base64url');
const KEY = /^[A-Za-z0-9_-]{1,4000}$/;
const FOLLOW_ID = /^[A-Za-z0-9_-]{1,64}$/;

const afterOf = (req: Request): string | null => (typeof req.query.after === 'string' ? req.query.after : null);

/**
 * Pages for members to read the boards of other servers that this instance
 * follows, from the copy kept here (mirror.ts): the list at
 * `/remote`, a board at `/remote/<follow id>`, a thread at
 * `/remote/<follow id>/t/<thread key>`. Nothing here reaches the other
 * server, so they read the same when it is away. Who may read: approved
 * members, like the JSON API (`GET /api/v1/federation/remote`, access
 * `member`); visitors are sent to log in.
 */
export function mirrorPages(ctx: AppContext, deps: MirrorPagesDeps): express.Router {
  const router = express.Router();
  const { mirror, follows, objects } = deps;
  const followsCol = ctx.store.collection(apFollowsCollection);

  router.use('/remote', signedInOnly(awaitingApproval, 'private, no-cache'));

  const board = async (follow: Pick<ApFollowDoc, 'id' | 'remoteActor'>): Promise<RemoteBoard & { isGroup: boolean }> => {
    const actor = await objects.getObject(follow.remoteActor);
    const summary = first(actor?.summary);
    return {
      id: follow.id,
      iri: follow.remoteActor,
      name: plainName(actor?.name) ?? plainName(actor?.preferredUsername) ?? (lastSegment(follow.remoteActor) || (hostOf(follow.remoteActor) ?? '')),
      host: hostOf(follow.remoteActor) ?? '',
      summaryHtml: typeof summary === 'string' && summary.length <= 10_000 ? cleanHtml(summary) || null : null,
      // An actor never stored (or one we could not read) is taken for a board; a Person followed by mistake is not one.
      isGroup: !actor || actor.type === 'Group',
    };
  };

  /** The accepted follow of a board with this id; a 404 for anything else. */
  const boardById = async (raw: string | undefined): Promise<RemoteBoard> => {
    const id = raw ?? '';
    const follow = FOLLOW_ID.test(id) ? await followsCol.get(id) : null;
    if (!follow || follow.state !== 'accepted') throw notFound();
    const found = await board(follow);
    if (!found.isGroup) throw notFound();
    return found;
  };
  /** The board and the thread's key an address under /remote/:id/t/:key names; 404 for a malformed key. */
  const boardAndKey = async (req: { params: Record<string, string | undefined> }): Promise<{ b: RemoteBoard; key: string }> => {
    const b = await boardById(req.params.id);
    const key = req.params.key ?? '';
    if (!KEY.test(key)) throw notFound();
    return { b, key };
  };

  /** Authors of one page, each actor looked up once in what is stored here. */
  const authors = (group: string) => {
    const seen = new Map<string, Promise<RemoteAuthor>>();
    return (iri: string): Promise<RemoteAuthor> => {
      // Anonymous posts are the Group's own, or its anonymous member's on a Parasol board: nothing about them names a member.
      if (iri === group || iri === Iris.anonymousOf(group)) return Promise.resolve({ kind: 'anonymous' });
      let found = seen.get(iri);
      if (!found) {
        found = objects.getObject(iri).then((actor) => ({
          kind: 'actor' as const,
          name: plainName(actor?.name),
          handle: plainName(actor?.preferredUsername) ?? lastSegment(iri),
          host: hostOf(iri) ?? '',
        }));
        seen.set(iri, found);
      }
      return found;
    };
  };

  router.get(
    '/remote',
    handle(async (req, res) => {
      const accepted = (await follows.list()).filter((f) => f.state === 'accepted');
      const boards = (await Promise.all(accepted.map((f) => board({ id: f.id, remoteActor: f.target })))).filter((b) => b.isGroup);
      const stats = await Promise.all(boards.map((b) => mirror.boardStats(b.iri)));
      sendPage(res, remoteBoardsPage(ctx.page(req), boards.map((b, i) => ({ board: b, stats: stats[i]! }))));
    }),
  );

  router.get(
    '/remote/:id',
    handle(async (req, res) => {
      const b = await boardById(req.params.id);
      const page = await mirror.threadPage(b.iri, { after: afterOf(req) });
      const authorOf = authors(b.iri);
      const rows = await Promise.all(page.threads.map(async (s) => ({ summary: s, author: await authorOf(s.thread.attributedTo) })));
      sendPage(res, remoteBoardPage(ctx.page(req), b, rows, page.next));
    }),
  );

  const threadView = async (req: Request, options: { sent?: boolean; state?: FormState } = {}) => {
    const { b, key } = await boardAndKey(req);
    const after = afterOf(req);
    const found = await mirror.thread(b.iri, Buffer.from(key, 'base64url').toString('utf8'), { after });
    if (!found) throw notFound();
    const authorOf = authors(b.iri);
    const posts = after ? found.replies : [found.thread, ...found.replies];
    const likes = await deps.reactions.likesOf(req.account ?? null, req.memberKey ?? null, posts);
    // Pictures at this server's own addresses: fetched by it when first shown, never by the member's browser.
    const photos = await ctx.media.photosOf('remote_post', posts.map((p) => p.id));
    const shown = await Promise.all(posts.map(async (p) => ({ post: p, author: await authorOf(p.attributedTo), likes: likes.get(p.id)!, photos: photos.get(p.id) })));
    return remoteThreadPage(ctx.page(req), b, found, shown, after, options);
  };

  router.get(
    '/remote/:id/t/:key',
    handle(async (req, res) => sendPage(res, await threadView(req, { sent: req.query.sent === '1' }))),
  );
  router.post(
    '/remote/:id/t/:key/reply',
    formPost(
      async (req, res) => {
        const { b, key } = await boardAndKey(req);
        const thread = await mirror.thread(b.iri, Buffer.from(key, 'base64url').toString('utf8'), {});
        if (!thread) throw notFound();
        const { body } = formBody(req);
        await deps.posting.reply(req.account ?? null, { inReplyTo: thread.thread.id, body: typeof body === 'string' ? body : '' });
        res.redirect(303, `/remote/${b.id}/t/${key}?sent=1#reply`);
      },
      (req, state) => threadView(req, { state }),
    ),
  );

  router.post(
    '/remote/:id/t/:key/like',
    formPost(
      async (req, res) => {
        const { b, key } = await boardAndKey(req);
        const { object, liked } = formBody(req);
        await deps.reactions.set(req.account ?? null, req.memberKey ?? null, { object, liked: liked === '1' });
        res.redirect(303, `/remote/${b.id}/t/${key}`);
      },
      (req, state) => threadView(req, { state }),
    ),
  );

  return router;
}

// ---- views -------------------------------------------------------------------------------------

function remoteAuthorLabel(ctx: PageContext, author: RemoteAuthor): SafeHtml {
  if (author.kind === 'anonymous') return html`<span class="author anon">${ctx.t('post.anonymous')}</span>`;
  const address = author.handle ? `${author.handle}@${author.host}` : author.host;
  return author.name && author.name !== author.handle
    ? html`<span class="author">${author.name} <small>${address}</small></span>`
    : html`<span class="author">${address}</span>`;
}

const threadTitle = (ctx: PageContext, post: ApRemotePostDoc) => post.title || ctx.t('remote.untitled');

/** A thread pinned or locked by its board's moderators, marked as on our own boards. */
const threadMarks = (ctx: PageContext, post: ApRemotePostDoc): SafeHtml =>
  html`${post.pinned ? html`${icon('pin')}<span class="visually-hidden">${ctx.t('thread.pinned')}</span> ` : ''}${post.locked ? html`${icon('lock')}<span class="visually-hidden">${ctx.t('thread.locked')}</span> ` : ''}`;

function remoteBoardsPage(ctx: PageContext, boards: readonly { board: RemoteBoard; stats: RemoteBoardStats }[]): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('remote.title'),
    body: html`<nav class="crumbs"><a href="/">${icon('home')} ${t('forums.boards')}</a></nav>
<h1>${icon('globe')} ${t('remote.title')}</h1>
<p>${t('remote.intro')}</p>
${boards.length === 0
  ? html`<p>${t('remote.none')}</p>`
  : html`<ul class="boards">${boards.map(
      ({ board, stats }) => html`<li><a href="/remote/${board.id}"><strong>${board.name}</strong></a>
  <p>${icon('globe')} ${t('remote.server', { host: board.host })}</p>
  <small>${t('remote.thread_count', { count: stats.threads })} · ${stats.latestAt === null ? t('remote.no_posts') : t('remote.latest', { date: formatDay(ctx, stats.latestAt) })}</small></li>`,
    )}</ul>`}`,
  });
}

function remoteBoardPage(
  ctx: PageContext,
  board: RemoteBoard,
  rows: readonly { summary: RemoteThreadSummary; author: RemoteAuthor }[],
  next: string | null,
): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: board.name,
    body: html`<nav class="crumbs"><a href="/remote">${icon('globe')} ${t('remote.title')}</a></nav>
<h1>${board.name}</h1>
${board.summaryHtml ? html`<div class="body">${raw(board.summaryHtml)}</div>` : ''}
<p class="notice">${t('remote.copy_notice', { host: board.host })}</p>
${rows.length === 0 ? html`<p>${t('remote.no_threads')}</p>` : ''}
<ol class="threads">${rows.map(
      ({ summary, author }) => html`<li><a href="/remote/${board.id}/t/${threadKey(summary.thread.id)}">${threadMarks(ctx, summary.thread)}<strong>${threadTitle(ctx, summary.thread)}</strong></a>
<small>${remoteAuthorLabel(ctx, author)} · ${t('thread.replies', { count: summary.replyCount })} · ${formatTime(ctx, summary.lastPostAt)}</small></li>`,
    )}</ol>
${next ? html`<p><a class="button" href="/remote/${board.id}?after=${encodeURIComponent(next)}">${t('forums.older')}</a></p>` : ''}`,
  });
}

function remotePostItem(ctx: PageContext, here: string, post: ApRemotePostDoc, author: RemoteAuthor, likes: RemoteLikes, photos: readonly PhotoView[] | undefined): SafeHtml {
  const { t } = ctx;
  const content = html`<div class="body">${raw(post.html)}</div>${photoGallery(ctx, photos)}`;
  return html`<li class="post">
<header>${remoteAuthorLabel(ctx, author)} · <time datetime="${new Date(post.published).toISOString()}">${formatTime(ctx, post.published)}</time>${post.updated ? html` · <small>${t('post.edited')}</small>` : ''}</header>
${post.summary ? html`<details class="cw"><summary>⚠️ ${post.summary}</summary>${content}</details>` : content}
${likeForm(ctx, here, post, likes)}
</li>`;
}

/** Like or take back, sent to the post's server; the count is of members here only (the other server keeps its own). */
function likeForm(ctx: PageContext, here: string, post: ApRemotePostDoc, likes: RemoteLikes): SafeHtml {
  const { t } = ctx;
  return html`<form method="post" action="${here}/like" class="reactions">
  ${csrfField(ctx)}<input type="hidden" name="object" value="${post.id}"><input type="hidden" name="liked" value="${likes.mine ? '0' : '1'}">
  <button type="submit" class="reaction${likes.mine ? ' mine' : ''}" aria-pressed="${likes.mine ? 'true' : 'false'}" title="${t('fediMore.like_hint')}"><span aria-hidden="true">❤️</span> ${likes.mine ? t('fediMore.unlike') : t('fediMore.like')}</button>
  <small>${t('fediMore.likes_here', { count: likes.count })}</small>
</form>`;
}

function remoteThreadPage(
  ctx: PageContext,
  board: RemoteBoard,
  found: RemoteThreadPage,
  posts: readonly { post: ApRemotePostDoc; author: RemoteAuthor; likes: RemoteLikes; photos: readonly PhotoView[] | undefined }[],
  after: string | null,
  options: { sent?: boolean; state?: FormState } = {},
): SafeHtml {
  const { t } = ctx;
  const title = threadTitle(ctx, found.thread);
  const here = `/remote/${board.id}/t/${threadKey(found.thread.id)}`;
  const original = webLink(found.thread.id);
  return layout(ctx, {
    title,
    body: html`<nav class="crumbs"><a href="/remote">${icon('globe')} ${t('remote.title')}</a> › <a href="/remote/${board.id}">${board.name}</a></nav>
<h1>${threadMarks(ctx, found.thread)}${title}</h1>
<p class="notice">${t('remote.thread_notice', { host: board.host })}</p>
${found.thread.locked ? html`<p class="notice">${t('thread.locked_notice')}</p>${errorBox(options.state)}` : ''}
<ol class="posts">${posts.map(({ post, author, likes, photos }) => remotePostItem(ctx, here, post, author, likes, photos))}</ol>
${found.next ? html`<p><a class="button" href="${here}?after=${encodeURIComponent(found.next)}">${t('thread.more_posts')}</a></p>` : ''}
${after ? html`<p><a href="${here}">${t('thread.first_page')}</a></p>` : ''}
${original ? html`<p class="actions"><a href="${original}" rel="noreferrer noopener nofollow">${icon('globe')} ${t('remote.view_original')}</a></p>` : ''}
${found.thread.locked ? '' : replyForm(ctx, board, found, options)}`,
  });
}

/** The form to reply to a mirrored thread (sent to its board's server); none on a locked thread. */
function replyForm(ctx: PageContext, board: RemoteBoard, found: RemoteThreadPage, options: { sent?: boolean; state?: FormState }): SafeHtml {
  const { t } = ctx;
  return html`<section id="reply" aria-labelledby="h-reply"><h2 id="h-reply">${icon('reply')} ${t('post.reply')}</h2>
${options.sent ? html`<p class="success" role="status">${icon('check')} ${t('remote.reply_sent', { host: board.host })}</p>` : ''}
${errorBox(options.state)}
<form method="post" action="${`/remote/${board.id}/t/${threadKey(found.thread.id)}/reply`}" class="stack">
  ${csrfField(ctx)}
  <p class="field${options.state?.fieldErrors?.body ? ' invalid' : ''}"><label for="f-body">${t('post.body')}</label>
  <small id="f-body-hint">${t('remote.reply_hint', { host: board.host })}</small>
  <textarea id="f-body" name="body" rows="5" maxlength="${BODY_MAX}" required aria-describedby="f-body-hint">${options.state?.values?.body ?? ''}</textarea>
  ${options.state?.fieldErrors?.body ? html`<span class="problem">${options.state.fieldErrors.body}</span>` : ''}</p>
  <button type="submit" class="primary">${icon('reply')} ${t('post.send')}</button>
</form></section>`;
}
