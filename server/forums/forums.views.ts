import { html, raw, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatTime, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import type { PhotoView } from '../media/media.service.js';
import { photoGallery } from '../media/media.views.js';
import { MAX_PHOTOS, photoFields, photoFormAttributes } from '../views/photos.js';
import type { AuthorView } from './authorship.js';
import type { BoardView, PostView, SearchHit, ThreadSummary, ThreadView } from './forum-views.js';
import { reactionEmoji, reactionKinds } from './reactions.js';
import { reportInput } from '../moderation/moderation.service.js';
import { BODY_MAX, CW_MAX, TITLE_MAX } from './forums.schemas.js';

export function authorLabel(ctx: PageContext, author: AuthorView): SafeHtml {
  switch (author.kind) {
    case 'anonymous':
      return html`<span class="author anon">${ctx.t('post.anonymous')}</span>`;
    case 'deleted':
      return html`<span class="author gone">${ctx.t('post.deleted_member')}</span>`;
    case 'remote':
      // Written on another server: its name there, and its address so no one mistakes it for a member here.
      return html`<span class="author remote"><bdi>${author.name}</bdi> <small><bdi dir="ltr">${author.address}</bdi></small></span>`;
    default:
      // Names are the person's own, in any script: isolated, so that an Arabic page does not reorder them or the "@".
      return author.displayName === author.handle
        ? html`<span class="author"><bdi>${author.handle}</bdi></span>`
        : html`<span class="author"><bdi>${author.displayName}</bdi> <small><bdi dir="ltr">@${author.handle}</bdi></small></span>`;
  }
}

const visibilityIcon = (b: BoardView) => (b.visibility === 'public' ? '' : html` ${icon('lock')}`);

/** `remoteBoards`: federation is on, so members can read the boards of other servers this instance follows (/remote). */
export function homePage(ctx: PageContext, boards: readonly BoardView[], options: { remoteBoards?: boolean } = {}): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('home.title'),
    body: html`${ctx.account ? '' : html`<section class="intro"><h1>${t('home.welcome', { name: ctx.instanceName })}</h1>
<p class="lead">${t('home.intro')}</p>
<p><a class="button primary" href="/signup">${icon('user')} ${t('nav.signup')}</a> <a class="button" href="/login">${icon('login')} ${t('nav.login')}</a></p></section>`}
${ctx.account ? html`<h1>${icon('list')} ${t('forums.boards')}</h1>` : html`<h2>${icon('list')} ${t('forums.boards')}</h2>`}
<ul class="boards">${boards.map(
      (b) => html`<li><a href="/b/${b.slug}"><strong><bdi>${b.name}</bdi></strong>${visibilityIcon(b)}${b.archived ? html` <em>(${t('forums.archived')})</em>` : ''}</a>
  <p dir="auto">${b.description}</p><small>${t('forums.counts', { threads: b.threadCount, posts: b.postCount })}</small></li>`,
    )}</ul>
${options.remoteBoards && ctx.account?.status === 'active' ? html`<p><a href="/remote">${icon('globe')} ${t('remote.title')}</a></p>` : ''}
<p><a href="/transparency">${icon('shield')} ${t('forums.transparency')}</a></p>`,
  });
}

export function threadRow(ctx: PageContext, thread: ThreadSummary): SafeHtml {
  const { t } = ctx;
  return html`<li><a href="/t/${thread.id}">${thread.pinned ? html`${icon('pin')}<span class="visually-hidden">${t('thread.pinned')}</span> ` : ''}${thread.locked ? html`${icon('lock')}<span class="visually-hidden">${t('thread.locked')}</span> ` : ''}<strong><bdi>${thread.title || t('thread.deleted_title')}</bdi></strong></a>
<small>${authorLabel(ctx, thread.author)} · ${t('thread.replies', { count: thread.replyCount })} · ${formatTime(ctx, thread.lastPostAt)}</small></li>`;
}

/**
 * Where a federating page's ActivityPub document is (the page's own address, which answers it when asked for as
 * ActivityPub), so that a server given the page's address finds the board or the thread.
 */
const activityPubAlternate = (href: string | null | undefined): SafeHtml | undefined =>
  href ? html`<link rel="alternate" type="application/activity+json" href="${href}">` : undefined;

export function boardPage(
  ctx: PageContext,
  data: { board: BoardView; threads: readonly ThreadSummary[]; next: string | null },
  state?: FormState,
  alternate?: string | null,
): SafeHtml {
  const { t } = ctx;
  const b = data.board;
  return layout(ctx, {
    title: b.name,
    head: activityPubAlternate(alternate),
    scripts: b.canPost ? ['photo-cover.js'] : [],
    body: html`<nav class="crumbs"><a href="/">${icon('home')} ${t('forums.boards')}</a></nav>
<h1><bdi>${b.name}</bdi>${visibilityIcon(b)}</h1>
<p dir="auto">${b.description}</p>
${b.archived ? html`<p class="notice">${t('forums.archived_notice')}</p>` : ''}
${b.slowModeSeconds > 0 ? html`<p><small>${t('forums.slow_mode', { seconds: b.slowModeSeconds })}</small></p>` : ''}
${b.canPost ? html`<p><a class="button primary" href="#new-thread">${icon('plus')} ${t('thread.new')}</a></p>` : ''}
${data.threads.length === 0 ? html`<p>${t('forums.no_threads')}</p>` : ''}
<ol class="threads">${data.threads.map((th) => threadRow(ctx, th))}</ol>
${data.next ? html`<p><a class="button" href="/b/${b.slug}?after=${encodeURIComponent(data.next)}">${t('forums.older')}</a></p>` : ''}
${b.canPost ? newThreadForm(ctx, b, state) : postingHint(ctx)}
${b.canModerate ? html`<p><a href="/mod/boards#b-${b.slug}">${icon('settings')} ${t('mod.board_settings')}</a></p>` : ''}`,
  });
}

function postingHint(ctx: PageContext): SafeHtml {
  return ctx.account ? html`` : html`<p class="notice"><a href="/login?next=${encodeURIComponent(ctx.path)}">${icon('login')} ${ctx.t('forums.login_to_post')}</a></p>`;
}

/**
 * Named or anonymous, both sent either way (an unticked box sends nothing, which the server could not tell from
 * "as usual"); `anonymousFirst` is the default where a name would give the member away.
 */
function anonymousChoice(ctx: PageContext, state: FormState | undefined, anonymousFirst = false): SafeHtml {
  const sent = state?.values?.anonymous;
  const anonymous = sent === undefined ? anonymousFirst : sent === 'on' || sent === 'true';
  return html`<fieldset class="choice"><legend>${ctx.t('post.post_as')}</legend>
<label class="check"><input type="radio" name="anonymous" value="false" ${anonymous ? '' : 'checked'}> ${ctx.t('post.post_named')}</label>
<label class="check"><input type="radio" name="anonymous" value="on" ${anonymous ? 'checked' : ''}> ${ctx.t('post.post_anonymously')}</label>
<small>${ctx.t('post.anonymous_hint')}</small></fieldset>`;
}

function cwField(ctx: PageContext, state?: FormState, value?: string | null): SafeHtml {
  const open = !!(state?.values?.contentWarning || value);
  return html`<details class="cw-input" ${open ? 'open' : ''}><summary>${ctx.t('post.add_cw')}</summary>
${field(state, { name: 'contentWarning', label: ctx.t('post.cw_label'), hint: ctx.t('post.cw_hint'), maxlength: CW_MAX, value: value ?? '' })}</details>`;
}

function bodyField(ctx: PageContext, state: FormState | undefined, label: string, value = ''): SafeHtml {
  const problem = state?.fieldErrors?.body;
  return html`<p class="field${problem ? ' invalid' : ''}"><label for="f-body">${label}</label>
<small id="f-body-hint">${ctx.t('post.markdown_hint')}</small>
<textarea id="f-body" name="body" rows="6" maxlength="${BODY_MAX}" required aria-describedby="f-body-hint" ${problem ? 'aria-invalid="true"' : ''}>${state?.values?.body ?? value}</textarea>
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>`;
}

function newThreadForm(ctx: PageContext, board: BoardView, state?: FormState): SafeHtml {
  const { t } = ctx;
  return html`<section id="new-thread" aria-labelledby="h-new"><h2 id="h-new">${icon('plus')} ${t('thread.new')}</h2>
${errorBox(state)}
<form method="post" action="/b/${board.slug}/threads" class="stack" data-draft ${photoFormAttributes(ctx)}>
${csrfField(ctx)}
${field(state, { name: 'title', label: t('thread.title'), required: true, maxlength: TITLE_MAX })}
${bodyField(ctx, state, t('post.body'))}
${photoFields(ctx)}
${cwField(ctx, state)}
${anonymousChoice(ctx, state)}
<button type="submit" class="primary">${icon('chat')} ${t('thread.post')}</button>
</form></section>`;
}

function stateNote(ctx: PageContext, post: PostView): SafeHtml {
  const { t } = ctx;
  switch (post.state) {
    case 'pending':
      return html`<p class="notice">${t('post.pending')}</p>`;
    case 'hidden':
      return html`<p class="notice">${t('post.hidden')}</p>`;
    case 'removed':
      return html`<p class="notice">${t('post.removed', { reason: post.removedReason ?? '' })}</p>`;
    default:
      return html``;
  }
}

export function postItem(ctx: PageContext, post: PostView, thread: { id: string; locked: boolean }, canReply: boolean, photos?: readonly PhotoView[]): SafeHtml {
  const { t } = ctx;
  if (post.state === 'deleted') {
    return html`<li id="p-${post.id}" class="post deleted"><p><em>${t('post.was_deleted')}</em></p></li>`;
  }
  const content = html`${post.quote
    ? html`<blockquote class="quote"><a href="#p-${post.quote.id}">${authorLabel(ctx, post.quote.author)}</a>: ${post.quote.excerpt}</blockquote>`
    : ''}<div class="body" dir="auto">${raw(post.html)}</div>${photoGallery(ctx, photos)}`;
  const reactionsForm = ctx.account
    ? html`<form method="post" action="/p/${post.id}/react" class="reactions">${csrfField(ctx)}${reactionKinds.map(
        (k) => html`<button type="submit" name="kind" value="${k}" class="reaction${post.myReactions.includes(k) ? ' mine' : ''}" aria-pressed="${post.myReactions.includes(k) ? 'true' : 'false'}" title="${t(`reaction.${k}`)}"><span aria-hidden="true">${reactionEmoji[k]}</span><span class="visually-hidden">${t(`reaction.${k}`)}</span> ${post.reactions[k] || ''}</button>`,
      )}</form>`
    : html`<p class="reactions">${reactionKinds.filter((k) => post.reactions[k] > 0).map((k) => html`<span class="reaction" title="${t(`reaction.${k}`)}"><span aria-hidden="true">${reactionEmoji[k]}</span><span class="visually-hidden">${t(`reaction.${k}`)}</span> ${post.reactions[k]}</span> `)}</p>`;
  return html`<li id="p-${post.id}" class="post${post.state !== 'visible' ? ' muted' : ''}">
<header>${authorLabel(ctx, post.author)}${post.mine ? html` <small>(${t('post.you')})</small>` : ''} · <a href="/t/${post.threadId}#p-${post.id}"><time datetime="${new Date(post.createdAt).toISOString()}">${formatTime(ctx, post.createdAt)}</time></a>${post.editedAt ? html` · <small>${t('post.edited')}</small>` : ''}</header>
${stateNote(ctx, post)}
${post.contentWarning ? html`<details class="cw"><summary>⚠️ ${post.contentWarning}</summary>${content}</details>` : content}
${post.state === 'visible' ? reactionsForm : ''}
<p class="actions">${canReply && post.state === 'visible' ? html`<a href="/t/${thread.id}?quote=${post.id}#reply">${icon('reply')} ${t('post.quote')}</a>` : ''}
${ctx.account && !post.mine && post.state === 'visible' ? html`<a href="/p/${post.id}/report">${icon('flag')} ${t('post.report')}</a>` : ''}
${post.canEdit ? html`<a href="/p/${post.id}/edit">${icon('edit')} ${t('post.edit')}</a>` : ''}</p>
${post.canModerate ? moderationForm(ctx, post) : ''}
</li>`;
}

function moderationForm(ctx: PageContext, post: PostView): SafeHtml {
  const { t } = ctx;
  const actions: Record<string, string[]> = {
    visible: ['hide', 'remove'],
    pending: ['approve', 'hide', 'remove'],
    hidden: ['unhide', 'remove'],
    removed: ['restore'],
    deleted: [],
  };
  const available = actions[post.state] ?? [];
  return html`<details class="mod"><summary>${icon('shield')} ${t('mod.actions')}</summary>
<form method="post" action="/p/${post.id}/moderate" class="stack">${csrfField(ctx)}
<p class="field"><label for="a-${post.id}">${t('mod.action')}</label><select id="a-${post.id}" name="action">${available.map((a) => html`<option value="${a}">${t(`mod.post_${a}`)}</option>`)}</select></p>
<p class="field"><label for="r-${post.id}">${t('mod.reason')}</label><input id="r-${post.id}" name="reason" maxlength="500"></p>
<button type="submit">${icon('check')} ${t('mod.apply')}</button></form>
${post.author.kind === 'anonymous' && post.state !== 'deleted' ? banForm(ctx, post) : ''}
${post.editedAt ? html`<a href="/p/${post.id}/revisions">${t('mod.revisions')}</a>` : ''}</details>`;
}

/** Bars the anonymous identity behind the post from the board; the number is all a moderator learns of it. */
export function banForm(ctx: PageContext, post: PostView, state?: FormState): SafeHtml {
  const { t } = ctx;
  const who = typeof post.anonymousNumber === 'number' ? t('mod.ban_member', { number: post.anonymousNumber }) : t('mod.ban_unnumbered');
  const problem = state?.fieldErrors?.reason;
  return html`<form method="post" action="/p/${post.id}/ban" class="stack ban">${csrfField(ctx)}
<p><strong>${who}</strong><br><small>${t('mod.ban_explain')}</small></p>
<p class="field${problem ? ' invalid' : ''}"><label for="ban-${post.id}">${t('mod.ban_reason')}</label><input id="ban-${post.id}" name="reason" required minlength="3" maxlength="500" value="${state?.values?.reason ?? ''}" ${problem ? 'aria-invalid="true"' : ''}>
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>
<button type="submit" class="danger">${icon('shield')} ${t('mod.ban_submit')}</button></form>`;
}

export function threadPage(
  ctx: PageContext,
  view: ThreadView,
  options: { quote: PostView | null; after: string | null; alternate?: string | null; reported?: boolean; photos?: ReadonlyMap<string, readonly PhotoView[]> },
  state?: FormState,
): SafeHtml {
  const { t } = ctx;
  const { board, thread } = view;
  const title = thread.title || t('thread.deleted_title');
  return layout(ctx, {
    title,
    head: activityPubAlternate(options.alternate),
    scripts: ['vendor/socket.io.min.js', 'live.js'],
    body: html`<nav class="crumbs"><a href="/">${icon('home')} ${t('forums.boards')}</a> › <a href="/b/${board.slug}"><bdi>${board.name}</bdi></a></nav>
<h1>${thread.pinned ? icon('pin') : ''}${thread.locked ? icon('lock') : ''} <bdi>${title}</bdi></h1>
${options.reported ? html`<p class="success" role="status">${icon('check')} ${t('report.sent')}</p>` : ''}
${thread.state === 'removed' ? html`<p class="notice">${t('thread.removed_notice')}</p>` : ''}
${thread.locked ? html`<p class="notice">${t('thread.locked_notice')}</p>` : ''}
<ol class="posts" id="posts" ${view.next ? '' : html`data-thread="${thread.id}"`}>${view.posts.map((p) => postItem(ctx, p, thread, view.canReply, options.photos?.get(p.id)))}</ol>
<p id="live-status" class="live" role="status" aria-live="polite" data-new-reply="${t('thread.new_reply')}"></p>
${view.next ? html`<p><a class="button" href="/t/${thread.id}?after=${encodeURIComponent(view.next)}">${t('thread.more_posts')}</a></p>` : ''}
${options.after ? html`<p><a href="/t/${thread.id}">${t('thread.first_page')}</a></p>` : ''}
${view.canReply ? replyForm(ctx, thread.id, options.quote, view.replyAnonymously, state) : view.replyBlocked === 'login_required' ? postingHint(ctx) : html`<p class="notice">${t(`error.${view.replyBlocked ?? 'forbidden'}`, { until: '' })}</p>`}
${board.canModerate ? threadModerationForm(ctx, view) : ''}`,
  });
}

function replyForm(ctx: PageContext, threadId: string, quote: PostView | null, anonymousFirst: boolean, state?: FormState): SafeHtml {
  const { t } = ctx;
  return html`<section id="reply" aria-labelledby="h-reply"><h2 id="h-reply">${icon('reply')} ${t('post.reply')}</h2>
${errorBox(state)}
<form method="post" action="/t/${threadId}/posts" class="stack" data-draft ${photoFormAttributes(ctx)}>
${csrfField(ctx)}
${quote ? html`<input type="hidden" name="quoteOf" value="${quote.id}"><blockquote class="quote">${authorLabel(ctx, quote.author)}: ${quote.html ? raw(quote.html) : ''}</blockquote>` : ''}
${bodyField(ctx, state, t('post.body'))}
<details class="photo-picker" data-photo-picker><summary>${t('photos_ui.choose', { max: MAX_PHOTOS })}</summary>${photoFields(ctx)}</details>
${cwField(ctx, state)}
${anonymousChoice(ctx, state, anonymousFirst)}
<button type="submit" class="primary">${icon('reply')} ${t('post.send')}</button>
</form></section>`;
}

function threadModerationForm(ctx: PageContext, view: ThreadView): SafeHtml {
  const { t } = ctx;
  const th = view.thread;
  const actions = [
    th.pinned ? 'unpin' : 'pin',
    th.locked ? 'unlock' : 'lock',
    'move',
    th.state === 'removed' ? 'restore' : 'remove',
  ];
  return html`<details class="mod"><summary>${icon('shield')} ${t('mod.thread_actions')}</summary>
<form method="post" action="/t/${th.id}/moderate" class="stack">${csrfField(ctx)}
<p class="field"><label for="ta">${t('mod.action')}</label><select id="ta" name="action">${actions.map((a) => html`<option value="${a}">${t(`mod.thread_${a}`)}</option>`)}</select></p>
<p class="field"><label for="tb">${t('mod.move_to')}</label><input id="tb" name="board" maxlength="40" placeholder="${view.board.slug}"></p>
<p class="field"><label for="tr">${t('mod.reason')}</label><input id="tr" name="reason" maxlength="500"></p>
<button type="submit">${icon('check')} ${t('mod.apply')}</button></form></details>`;
}

export function editPage(ctx: PageContext, post: PostView, isOpening: boolean, threadTitle: string, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('post.edit'),
    body: html`<h1>${icon('edit')} ${t('post.edit')}</h1>
${errorBox(state)}
<form method="post" action="/p/${post.id}/edit" class="stack" data-draft>
${csrfField(ctx)}
${isOpening ? field(state, { name: 'title', label: t('thread.title'), required: true, maxlength: TITLE_MAX, value: threadTitle }) : ''}
${bodyField(ctx, state, t('post.body'), post.body ?? '')}
${cwField(ctx, state, post.contentWarning)}
<button type="submit" class="primary">${icon('check')} ${t('settings.save')}</button>
</form>
<form method="post" action="/p/${post.id}/delete" class="stack">${csrfField(ctx)}
<button type="submit" class="danger">${icon('trash')} ${t('post.delete')}</button></form>
<p><a href="/t/${post.threadId}#p-${post.id}">${t('post.back')}</a></p>`,
  });
}

export function reportPage(ctx: PageContext, post: PostView, state?: FormState): SafeHtml {
  const { t } = ctx;
  const chosen = state?.values?.reason;
  return layout(ctx, {
    title: t('report.title'),
    body: html`<h1>${icon('flag')} ${t('report.title')}</h1>
<p>${t('report.explain')}</p>
<blockquote>${authorLabel(ctx, post.author)}: ${raw(post.html)}</blockquote>
${errorBox(state)}
<form method="post" action="/p/${post.id}/report" class="stack">
${csrfField(ctx)}
<fieldset><legend>${t('report.why')}</legend>
${reportInput.shape.reason.options.map((r, i) => html`<label><input type="radio" name="reason" value="${r}" ${chosen === r || (!chosen && i === 0) ? 'checked' : ''}> ${t(`report.reason_${r}`)}</label>`)}
</fieldset>
${field(state, { name: 'note', label: t('report.note'), maxlength: 1000 })}
<button type="submit" class="primary">${icon('flag')} ${t('report.send')}</button>
</form>`,
  });
}

export function searchPage(ctx: PageContext, q: string, result: { hits: readonly SearchHit[]; next: string | null } | null, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('search.title'),
    body: html`<h1>${icon('search')} ${t('search.title')}</h1>
${errorBox(state)}
<form method="get" action="/search" class="stack" role="search">
<p class="field"><label for="q">${t('search.label')}</label><input id="q" name="q" type="search" value="${q}" maxlength="200" required></p>
<button type="submit">${icon('search')} ${t('search.submit')}</button></form>
${result
  ? html`${result.hits.length === 0 ? html`<p>${t('search.none')}</p>` : ''}
<ol class="threads">${result.hits.map((h) => html`<li><a href="/t/${h.post.threadId}#p-${h.post.id}"><strong>${h.threadTitle}</strong></a>
<p>${h.excerpt}</p><small>${authorLabel(ctx, h.post.author)} · ${formatTime(ctx, h.post.createdAt)}</small></li>`)}</ol>
${result.next ? html`<p><a class="button" href="/search?q=${encodeURIComponent(q)}&amp;after=${encodeURIComponent(result.next)}">${t('forums.older')}</a></p>` : ''}`
  : ''}`,
  });
}

export function revisionsPage(ctx: PageContext, postId: string, threadId: string, revisions: readonly { body: string; createdAt: number }[]): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('mod.revisions'),
    body: html`<h1>${t('mod.revisions')}</h1>
<ol class="list">${revisions.map((r) => html`<li><small>${formatTime(ctx, r.createdAt)}</small><pre class="source">${r.body}</pre></li>`)}</ol>
<p><a href="/t/${threadId}#p-${postId}">${t('post.back')}</a></p>`,
  });
}
