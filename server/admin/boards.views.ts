import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, icon, type FormState, type PageContext } from '../views/layout.js';
import type { BoardView } from '../forums/forum-views.js';
import type { ReviewBoardView } from '../reviews/review-views.js';
import { consolePage } from './console.views.js';

export interface BoardsData {
  readonly boards: readonly (BoardView & { readonly moderators: readonly string[] })[];
  readonly reviewBoards: readonly (ReviewBoardView & { readonly partner: boolean })[];
  readonly done?: string;
}

function boardItem(ctx: PageContext, b: BoardsData['boards'][number]): SafeHtml {
  const { t } = ctx;
  return html`<li><p><a href="/b/${b.slug}"><strong>${b.name}</strong></a>${b.archived ? html` <span class="tag">${t('board.archived')}</span>` : ''}</p>
  <ul>
    <li>${t('board.visibility')}: ${t(`board.visibility_${b.visibility}`)}</li>
    <li>${t('board.approve_first')}: ${t(b.approveFirstPosts ? 'admin_console.yes' : 'admin_console.no')}</li>
    <li>${t('board.slow_mode')}: ${b.slowModeSeconds}</li>
    <li>${t('mediaRest.board_remote_media')}: ${t(b.remoteMedia ? 'admin_console.yes' : 'admin_console.no')}</li>
    <li>${t('board.moderators')}: ${b.moderators.length > 0 ? b.moderators.map((h, i) => html`${i > 0 ? ', ' : ''}<bdi>${h}</bdi>`) : t('admin_console.none')}</li>
    <li>${t('forums.counts', { threads: b.threadCount, posts: b.postCount })}</li>
  </ul></li>`;
}

function reviewBoardItem(ctx: PageContext, b: BoardsData['reviewBoards'][number], state: { slug: string; form: FormState } | undefined): SafeHtml {
  const { t } = ctx;
  const form = state?.slug === b.slug ? state.form : undefined;
  const id = `rb-${b.slug}`;
  return html`<li id="${id}"><p><a href="/reviews/${b.slug}"><strong>${b.name}</strong></a> · ${t('review.count', { count: b.reviewCount })}
  ${b.partner ? html` <span class="tag">${icon('globe')} ${t('admin_console.partner_board')}</span>` : ''}</p>
  ${b.partner ? html`<p><a href="/admin/review-boards/${b.slug}/secret">${icon('key')} ${t('admin_console.show_secret')}</a></p>` : ''}
  <details${form ? ' open' : ''}><summary>${t('admin_console.board_settings')}</summary>
  ${errorBox(form)}
  <form method="post" action="/admin/review-boards/${b.slug}" class="stack">${csrfField(ctx)}
    ${field(form, { name: 'name', label: t('board.name'), maxlength: 80, value: b.name })}
    ${field(form, { name: 'description', label: t('board.description'), maxlength: 500, value: b.description })}
    <fieldset><legend>${t('board.visibility')}</legend>
    ${(['members', 'network'] as const).map(
      (v) => html`<label class="check"><input type="radio" name="visibility" value="${v}" ${b.visibility === v ? 'checked' : ''}> ${t(`board.visibility_${v}`)}</label>`,
    )}</fieldset>
    ${b.reviewCount === 0
      ? field(form, { name: 'secret', label: t('admin_console.shared_secret'), hint: t('admin_console.shared_secret_hint'), autocomplete: 'off', maxlength: 200 })
      : html`<p><small>${t('admin_console.secret_locked')}</small></p>`}
    <button type="submit">${icon('check')} ${t('settings.save')}</button>
  </form></details></li>`;
}

/** Forum boards with their settings (changed on the moderators' boards page), and the review boards with theirs. */
export function boardsPage(ctx: PageContext, data: BoardsData, state?: { slug: string; form: FormState }): SafeHtml {
  const { t } = ctx;
  return consolePage(
    ctx,
    'boards',
    html`<section id="forum-boards" aria-labelledby="h-forum-boards">
<h2 id="h-forum-boards">${t('mod.boards')}</h2>
<p><a href="/mod/boards">${icon('edit')} ${t('admin_console.edit_boards')}</a></p>
<ul class="list">${data.boards.map((b) => boardItem(ctx, b))}</ul>
</section>
<section id="review-boards" aria-labelledby="h-review-boards">
<h2 id="h-review-boards">${t('review.boards')}</h2>
<p>${t('admin_console.review_boards_explain')}</p>
<ul class="list">${data.reviewBoards.map((b) => reviewBoardItem(ctx, b, state))}</ul>
</section>`,
    data.done,
  );
}

/** The partner board's shared key, on a page of its own that is never stored (Cache-Control: no-store). */
export function secretPage(ctx: PageContext, board: ReviewBoardView, secret: string): SafeHtml {
  const { t } = ctx;
  return consolePage(
    ctx,
    'boards',
    html`<section aria-labelledby="h-secret">
<h2 id="h-secret">${icon('key')} ${t('admin_console.secret_title', { board: board.name })}</h2>
<p class="notice">${t('admin_console.secret_explain')}</p>
<p><code class="token" dir="ltr">${secret}</code></p>
<p><a href="/admin/boards#rb-${board.slug}">${t('admin_console.back_to_boards')}</a></p>
</section>`,
  );
}
