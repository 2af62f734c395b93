import { html, raw, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import { modNav } from '../moderation/moderation.views.js';
import type { AnonymousBanView } from './forum-moderation.service.js';
import type { PostView } from './forum-views.js';
import { authorLabel, banForm } from './forums.views.js';

/** The ban form on a page of its own: where a refused ban shows its error, and a link can lead to. */
export function banPage(ctx: PageContext, post: PostView, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('mod.ban_title'),
    body: html`<h1>${icon('shield')} ${t('mod.ban_title')}</h1>
${errorBox(state)}
<blockquote>${authorLabel(ctx, post.author)}: ${raw(post.html)}</blockquote>
${banForm(ctx, post, state)}
<p><a href="/t/${post.threadId}#p-${post.id}">${t('post.back')}</a></p>`,
  });
}

/** Which message the bans page opens with, after a ban or after lifting one. */
export interface BansNotice {
  readonly kind: 'banned' | 'lifted';
  readonly number: number | null;
}

/** A board's anonymous bans, by number: each can be lifted without JavaScript. */
export function anonymousBansPage(
  ctx: PageContext,
  data: { board: { slug: string; name: string }; bans: readonly AnonymousBanView[] },
  notice: BansNotice | null,
  state?: FormState,
): SafeHtml {
  const { t } = ctx;
  const number = (n: number | null) => (n === null ? '?' : n);
  const message = notice ? t(notice.kind === 'banned' ? 'mod.ban_done' : 'mod.ban_lifted', { number: number(notice.number) }) : null;
  return layout(ctx, {
    title: t('mod.bans'),
    body: html`<h1>${icon('shield')} ${t('mod.bans')}</h1>
${modNav(ctx)}
<p><a href="/b/${data.board.slug}">${data.board.name}</a> · <a href="/mod/boards#b-${data.board.slug}">${t('mod.board_settings')}</a></p>
${message ? html`<p class="notice" role="status">${message}</p>` : ''}
${errorBox(state)}
${data.bans.length === 0 ? html`<p>${t('mod.bans_none')}</p>` : ''}
<ul class="list">${data.bans.map(
      (b) => html`<li id="ban-${b.id}"><strong>${t('mod.anonymous_member', { number: number(b.anonymousNumber) })}</strong> · ${b.reason}
<form method="post" action="/mod/boards/${data.board.slug}/bans/${b.id}/lift" class="stack">${csrfField(ctx)}
<p class="field"><label for="lift-${b.id}">${t('mod.ban_lift_reason')}</label><input id="lift-${b.id}" name="reason" maxlength="500"></p>
<button type="submit">${icon('check')} ${t('mod.ban_lift')}</button></form></li>`,
    )}</ul>`,
  });
}
