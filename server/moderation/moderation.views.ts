import { html, raw, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, formatTime, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import type { ModeratedPost } from './moderated-content.js';
import type { WordFilterDoc } from './moderation.collections.js';
import type { ModerationQueueService } from './queue.service.js';

type Queue = Awaited<ReturnType<ModerationQueueService['reportQueue']>>;
type Pending = Awaited<ReturnType<ModerationQueueService['pendingPosts']>>;
type Log = Awaited<ReturnType<ModerationQueueService['modLog']>>;

export type ModSection = 'reports' | 'pending' | 'suspend';

/** The moderation tabs, also on the boards' administration page (server/forums/boards.views.ts). */
export function modNav(ctx: PageContext): SafeHtml {
  const { t } = ctx;
  return html`<nav class="tabs" aria-label="${t('nav.moderation')}"><a href="/mod">${icon('flag')} ${t('mod.queue')}</a> <a href="/mod/boards">${icon('list')} ${t('mod.boards')}</a> <a href="/mod/filters">${icon('shield')} ${t('mod.filters')}</a> <a href="/mod/log">${icon('list')} ${t('mod.log')}</a> <a href="/mod/approvals">${icon('user')} ${t('admin.approvals')}</a> <a href="/mod/conversation-reports">${icon('chat')} ${t('conversations.mod_link')}</a></nav>`;
}

/** An anonymous post shows its number on the board, never an account: the server does not know whose it is. */
function authorLine(t: PageContext['t'], post: ModeratedPost, author: { readonly handle: string } | null): SafeHtml {
  if (post.anonymous) {
    return html`<strong>${post.anonymousNumber === null ? t('mod.posted_anonymously') : t('mod.anonymous_member', { number: post.anonymousNumber })}</strong>`;
  }
  return html`${t('mod.author', { handle: author?.handle ?? t('post.deleted_member') })}`;
}

function postActions(ctx: PageContext, postId: string, actions: readonly string[]): SafeHtml {
  const { t } = ctx;
  return html`<form method="post" action="/mod/posts/${postId}" class="stack">${csrfField(ctx)}
<p class="field"><label for="m-${postId}">${t('mod.action')}</label><select id="m-${postId}" name="action">${actions.map((a) => html`<option value="${a}">${t(`mod.post_${a}`)}</option>`)}</select></p>
<p class="field"><label for="mr-${postId}">${t('mod.reason')}</label><input id="mr-${postId}" name="reason" maxlength="500"></p>
<button type="submit">${icon('check')} ${t('mod.apply')}</button></form>`;
}

export function queuePage(ctx: PageContext, data: { queue: Queue; pending: Pending }, state?: { section: ModSection; form: FormState }): SafeHtml {
  const { t } = ctx;
  const s = (section: ModSection) => (state?.section === section ? state.form : undefined);
  return layout(ctx, {
    title: t('mod.queue'),
    body: html`<h1>${icon('flag')} ${t('mod.queue')}</h1>
${modNav(ctx)}
<section aria-labelledby="h-reports"><h2 id="h-reports">${t('mod.reports')}</h2>
${errorBox(s('reports'))}
${data.queue.items.length === 0 ? html`<p>${t('mod.no_reports')}</p>` : ''}
<ol class="list">${data.queue.items.map(
      (i) => html`<li class="report">
<p><strong>${t(`report.reason_${i.report.reason}`)}</strong> · ${i.board.name} · ${formatDay(ctx, i.report.createdAt)} · ${t('mod.reported_by', { handle: i.reporter?.handle ?? '?' })}</p>
${i.report.note ? html`<blockquote>${i.report.note}</blockquote>` : ''}
${i.post
  ? html`<div class="reported"><p><small>${authorLine(t, i.post, i.author)} · ${t(`mod.state_${i.post.state}`)}</small></p>
<div class="body" dir="auto">${raw(i.post.html)}</div>
<p><a href="/t/${i.post.threadId}#p-${i.post.id}">${t('mod.open_in_thread')}</a></p></div>
${postActions(ctx, i.post.id, i.post.state === 'removed' ? ['restore'] : i.post.state === 'hidden' ? ['unhide', 'remove'] : ['hide', 'remove'])}`
  : ''}
<form method="post" action="/mod/reports/${i.report.id}/dismiss" class="inline">${csrfField(ctx)}<button type="submit">${t('mod.dismiss')}</button></form>
${i.author && i.post?.authorId ? html`<p><a href="/mod/accounts?handle=${encodeURIComponent(i.author.handle)}#suspend">${t('mod.suspend_author')}</a></p>` : ''}
</li>`,
    )}</ol>
${data.queue.next ? html`<p><a class="button" href="/mod?after=${encodeURIComponent(data.queue.next)}">${t('forums.older')}</a></p>` : ''}
</section>
<section aria-labelledby="h-pending"><h2 id="h-pending">${t('mod.pending')}</h2>
${errorBox(s('pending'))}
${data.pending.length === 0 ? html`<p>${t('mod.no_pending')}</p>` : ''}
<ol class="list">${data.pending.map(
      (p) => html`<li><p><a href="/t/${p.thread.id}">${p.thread.title}</a> · ${p.board.name} · ${authorLine(t, p.post, p.author)}</p>
<div class="body" dir="auto">${raw(p.post.html)}</div>${postActions(ctx, p.post.id, ['approve', 'remove'])}</li>`,
    )}</ol>
</section>
<p><a href="/mod/accounts">${icon('user')} ${t('mod.suspensions')}</a></p>`,
  });
}

export function suspendPage(ctx: PageContext, handle: string, state?: FormState, done?: string): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('mod.suspensions'),
    body: html`<h1>${icon('user')} ${t('mod.suspensions')}</h1>
${modNav(ctx)}
${done ? html`<p class="success" role="status">${icon('check')} ${done}</p>` : ''}
<section id="suspend"><h2>${t('mod.suspend')}</h2>
${errorBox(state)}
<form method="post" action="/mod/accounts/suspend" class="stack">${csrfField(ctx)}
${field(state, { name: 'handle', label: t('admin_console.member_handle'), required: true, maxlength: 100, value: handle })}
${field(state, { name: 'days', label: t('mod.days'), type: 'number', hint: t('mod.days_hint') })}
${field(state, { name: 'reason', label: t('mod.reason'), required: true, maxlength: 500 })}
<button type="submit" class="danger">${t('mod.suspend')}</button></form>
<h2>${t('mod.unsuspend')}</h2>
<form method="post" action="/mod/accounts/unsuspend" class="stack">${csrfField(ctx)}
${field(undefined, { name: 'handle', label: t('admin_console.member_handle'), required: true, maxlength: 100, value: handle })}
<button type="submit">${t('mod.unsuspend')}</button></form></section>`,
  });
}

export function logPage(ctx: PageContext, log: Log): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('mod.log'),
    body: html`<h1>${icon('list')} ${t('mod.log')}</h1>
${modNav(ctx)}
<table class="log"><thead><tr><th>${t('mod.when')}</th><th>${t('mod.who')}</th><th>${t('mod.what')}</th><th>${t('mod.reason')}</th></tr></thead>
<tbody>${log.items.map((e) => html`<tr><td>${formatTime(ctx, e.createdAt)}</td><td>${e.actor ?? '?'}</td><td>${e.action} <small>${e.targetType} ${e.targetId}</small></td><td>${e.reason}</td></tr>`)}</tbody></table>
${log.next ? html`<p><a class="button" href="/mod/log?after=${encodeURIComponent(log.next)}">${t('forums.older')}</a></p>` : ''}`,
  });
}

export function filtersPage(ctx: PageContext, filters: readonly WordFilterDoc[], state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('mod.filters'),
    body: html`<h1>${icon('shield')} ${t('mod.filters')}</h1>
${modNav(ctx)}
<p>${t('mod.filters_explain')}</p>
<ul class="list">${filters.map(
      (f) => html`<li><code>${f.phrase}</code> · ${t(`mod.filter_${f.action}`)}
<form method="post" action="/mod/filters/${f.id}/delete" class="inline">${csrfField(ctx)}<button type="submit">${icon('trash')} ${t('settings.revoke')}</button></form></li>`,
    )}</ul>
${errorBox(state)}
<form method="post" action="/mod/filters" class="stack">${csrfField(ctx)}
${field(state, { name: 'phrase', label: t('mod.phrase'), required: true, maxlength: 100 })}
<fieldset><legend>${t('mod.action')}</legend>
<label><input type="radio" name="action" value="hold" checked> ${t('mod.filter_hold')}</label>
<label><input type="radio" name="action" value="block"> ${t('mod.filter_block')}</label></fieldset>
<button type="submit">${icon('plus')} ${t('mod.add_filter')}</button></form>`,
  });
}

export function transparencyPage(ctx: PageContext, rows: readonly { slug: string; name: string; removed: number; posts: number }[]): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('forums.transparency'),
    body: html`<h1>${icon('shield')} ${t('forums.transparency')}</h1>
<p>${t('transparency.explain')}</p>
<table class="log"><thead><tr><th>${t('transparency.board')}</th><th>${t('transparency.posts')}</th><th>${t('transparency.removed')}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td><a href="/b/${r.slug}">${r.name}</a></td><td>${r.posts}</td><td>${r.removed}</td></tr>`)}</tbody></table>`,
  });
}
