import { callingCode } from '../instance/countries.js';
import { html, raw, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, icon, layout, ltr, type FormState, type PageContext } from '../views/layout.js';
import { authorLabel } from '../forums/forums.views.js';
import type { AreaView } from '../areas/areas.service.js';
import { warningCategories } from './reviews.collections.js';
import type { LookupResult, ResponseView, ReviewBoardView, ReviewView } from './review-views.js';
import { REVIEW_BODY_MAX } from './reviews.schemas.js';
import type { PhotoView } from '../media/media.service.js';
import { photoGallery } from '../media/media.views.js';
import { photoFields, photoFormAttributes } from '../views/photos.js';

const IDENTIFIER_ROWS = 3;

function kindBadge(ctx: PageContext, r: ReviewView): SafeHtml {
  const { t } = ctx;
  return r.kind === 'warning'
    ? html`<strong class="badge warn">⚠️ ${t('review.warning')}${r.severity ? html` · ${t(`review.severity_${r.severity}`)}` : ''}</strong>`
    : html`<strong class="badge ok">✅ ${t('review.vouch')}${r.rating ? html` · ${'★'.repeat(r.rating)}` : ''}</strong>`;
}

export function reviewCard(ctx: PageContext, r: ReviewView, link = true): SafeHtml {
  const { t } = ctx;
  return html`<article class="post review">
<header>${kindBadge(ctx, r)} · ${r.incidentMonth}${r.area ? html` · ${r.area.name}` : ''} · ${authorLabel(ctx, r.author)}${r.origin ? html` · ${icon('globe')} ${t('review.shared_from', { host: r.origin })}` : ''}</header>
${r.status !== 'published' ? html`<p class="notice">${t(`review.status_${r.status}`)}</p>` : ''}
${r.categories.length ? html`<p>${r.categories.map((c) => html`<span class="tag">${t(`review.category_${c}`)}</span> `)}</p>` : ''}
${r.identifiers.length ? html`<p><small>${t('review.identifiers')}: ${r.identifiers.map((i) => html`<span class="tag">${t(`review.id_${i.type}`)}${i.platform ? html` (<bdi>${i.platform}</bdi>)` : ''} <bdi dir="ltr">${i.hint}</bdi></span> `)}</small></p>` : ''}
${r.descriptors ? html`<p><small>${t('review.descriptors')}: ${r.descriptors}</small></p>` : ''}
<div class="body" dir="auto">${raw(r.html)}</div>
<p><small>${t('review.responses_line', { corroborations: r.corroborations, counter: r.counterVouches, disputes: r.disputes })}</small></p>
${link ? html`<p><a href="/r/${r.id}">${icon('chat')} ${t('review.open')}</a></p>` : ''}
</article>`;
}

/** Questions from moderators waiting for the member's answer: those about anonymous reviews reach them only here. */
function questionsWaiting(ctx: PageContext, questions: readonly ReviewView[]): SafeHtml {
  const { t } = ctx;
  if (questions.length === 0) return html``;
  return html`<section id="questions" class="card"><h2>${icon('chat')} ${t('review.questions_waiting')}</h2>
<p>${t('review.questions_waiting_explain')}</p>
<ul>${questions.map((r) => html`<li><a href="/r/${r.id}">${r.kind === 'warning' ? t('review.warning') : t('review.vouch')} · ${r.incidentMonth}</a>: ${r.question}</li>`)}</ul></section>`;
}

export function boardsPage(
  ctx: PageContext,
  data: { boards: readonly ReviewBoardView[]; questions: readonly ReviewView[] },
  areas: readonly AreaView[],
  subscribed: readonly string[],
  state?: FormState,
  done?: string,
): SafeHtml {
  const { t } = ctx;
  const { boards } = data;
  return layout(ctx, {
    title: t('review.boards'),
    body: html`<h1>${icon('shield')} ${t('review.boards')}</h1>
<p>${t('review.boards_intro')}</p>
${questionsWaiting(ctx, data.questions)}
<ul class="boards">${boards.map((b) => html`<li><a href="/reviews/${b.slug}"><strong>${b.name}</strong></a><p>${b.description}</p><small>${t('review.count', { count: b.reviewCount })}</small></li>`)}</ul>
${boards.some((b) => b.canModerate) ? html`<p><a href="/reviews/queue">${icon('flag')} ${t('review.queue')}</a></p>` : ''}
${areas.length
  ? html`<section id="urgent"><h2>${t('review.urgent_areas')}</h2><p>${t('review.urgent_explain')}</p>
${done ? html`<p class="success" role="status">${icon('check')} ${done}</p>` : ''}
${errorBox(state)}
<form method="post" action="/reviews/urgent-areas" class="stack">${csrfField(ctx)}
<fieldset><legend>${t('review.areas')}</legend>${areas.map((a) => html`<label class="check"><input type="checkbox" name="areaIds" value="${a.id}" ${subscribed.includes(a.id) ? 'checked' : ''}> ${a.name}</label>`)}</fieldset>
<button type="submit">${icon('check')} ${t('settings.save')}</button></form></section>`
  : ''}`,
  });
}

/** What a phone field says of numbers without "+": they are read as the instance's country's. */
function phoneHint(ctx: PageContext): string {
  return ctx.t('layout.phone_local', { country: ctx.country, dial: ltr(`+${callingCode(ctx.country)}`) });
}

function screeningForm(ctx: PageContext, slug: string, state?: FormState): SafeHtml {
  const { t } = ctx;
  const v = state?.values ?? {};
  return html`<section id="screen" class="card"><h2>${icon('search')} ${t('review.screen')}</h2>
<p><small>${t('review.screen_private')}</small></p>
${errorBox(state)}
<form method="post" action="/reviews/${slug}/screen" class="stack">${csrfField(ctx)}
<p class="field"><label for="s-type">${t('review.id_type')}</label><select id="s-type" name="type">${(['phone', 'email', 'handle'] as const).map((k) => html`<option value="${k}" ${v.type === k ? 'selected' : ''}>${t(`review.id_${k}`)}</option>`)}</select></p>
${field(state, { name: 'value', label: t('review.id_value'), hint: `${t('review.id_value_hint')} ${phoneHint(ctx)}`, required: true, maxlength: 254, autocomplete: 'off', dir: 'ltr' })}
${field(state, { name: 'platform', label: t('review.platform'), hint: t('review.platform_hint'), maxlength: 40 })}
<button type="submit" class="primary">${icon('search')} ${t('review.screen_submit')}</button></form></section>`;
}

export function boardPage(
  ctx: PageContext,
  data: { board: ReviewBoardView; reviews: readonly ReviewView[]; next: string | null },
  areas: readonly AreaView[],
  filters: Readonly<Record<string, string>>,
  state?: FormState,
): SafeHtml {
  const { t } = ctx;
  const b = data.board;
  const qs = new URLSearchParams({ ...filters, ...(data.next ? { after: data.next } : {}) }).toString();
  return layout(ctx, {
    title: b.name,
    body: html`<nav class="crumbs"><a href="/reviews">${icon('shield')} ${t('review.boards')}</a></nav>
<h1>${b.name}</h1><p>${b.description}</p>
${screeningForm(ctx, b.slug, state)}
<p><a class="button primary" href="/reviews/${b.slug}/new">${icon('plus')} ${t('review.new')}</a></p>
<form method="get" action="/reviews/${b.slug}" class="filters">
<label>${t('review.kind')} <select name="kind"><option value="">${t('review.any')}</option>${(['warning', 'vouch'] as const).map((k) => html`<option value="${k}" ${filters.kind === k ? 'selected' : ''}>${t(`review.${k}`)}</option>`)}</select></label>
<label>${t('review.category')} <select name="category"><option value="">${t('review.any')}</option>${warningCategories.map((c) => html`<option value="${c}" ${filters.category === c ? 'selected' : ''}>${t(`review.category_${c}`)}</option>`)}</select></label>
${areas.length ? html`<label>${t('review.area')} <select name="area"><option value="">${t('review.any')}</option>${areas.map((a) => html`<option value="${a.id}" ${filters.area === a.id ? 'selected' : ''}>${a.name}</option>`)}</select></label>` : ''}
<button type="submit">${t('review.filter')}</button></form>
${data.reviews.length === 0 ? html`<p>${t('review.none')}</p>` : ''}
${data.reviews.map((r) => reviewCard(ctx, r))}
${data.next ? html`<p><a class="button" href="/reviews/${b.slug}?${qs}">${t('forums.older')}</a></p>` : ''}`,
  });
}

export function screeningResultPage(ctx: PageContext, slug: string, result: LookupResult): SafeHtml {
  const { t } = ctx;
  const none = result.reviews.length === 0;
  return layout(ctx, {
    title: t('review.screen'),
    body: html`<nav class="crumbs"><a href="/reviews/${slug}">${icon('shield')} ${t('review.back_board')}</a></nav>
<h1>${icon('search')} ${t('review.result')}</h1>
${none
  ? html`<p class="notice">${t('review.result_none')}</p>`
  : html`<p class="${result.warnings > 0 ? 'error' : 'success'}">${t('review.result_summary', { warnings: result.warnings, vouches: result.vouches, corroborations: result.corroborations, disputes: result.disputes })}</p>
${Object.keys(result.categories).length ? html`<p>${Object.entries(result.categories).map(([c, n]) => html`<span class="tag">${t(`review.category_${c}`)} × ${n}</span> `)}</p>` : ''}`}
${result.reviews.map((r) => reviewCard(ctx, r))}
<p><a class="button" href="/reviews/${slug}#screen">${icon('search')} ${t('review.screen_again')}</a></p>`,
  });
}

export function newReviewPage(ctx: PageContext, board: ReviewBoardView, areas: readonly AreaView[], state?: FormState): SafeHtml {
  const { t } = ctx;
  const v = state?.values ?? {};
  const checkedCats = new Set((v.categories ?? '').split(','));
  const month = v.incidentMonth ?? new Date().toISOString().slice(0, 7);
  // Anonymous unless the member signs it; sent back with an error, the form keeps what was chosen.
  const signed = v.anonymous === 'false';
  return layout(ctx, {
    title: t('review.new'),
    scripts: ['photo-cover.js'],
    body: html`<nav class="crumbs"><a href="/reviews/${board.slug}">${icon('shield')} ${board.name}</a></nav>
<h1>${icon('plus')} ${t('review.new')}</h1>
<p class="notice">${t('review.new_rules')}</p>
${errorBox(state)}
<form method="post" action="/reviews/${board.slug}/new" class="stack" ${photoFormAttributes(ctx)}>${csrfField(ctx)}
<fieldset><legend>${t('review.kind')}</legend>
<label class="check"><input type="radio" name="kind" value="warning" ${v.kind !== 'vouch' ? 'checked' : ''}> ⚠️ ${t('review.warning_long')}</label>
<label class="check"><input type="radio" name="kind" value="vouch" ${v.kind === 'vouch' ? 'checked' : ''}> ✅ ${t('review.vouch_long')}</label></fieldset>
<fieldset><legend>${t('review.categories')}</legend>${warningCategories.map((c) => html`<label class="check"><input type="checkbox" name="categories" value="${c}" ${checkedCats.has(c) ? 'checked' : ''}> ${t(`review.category_${c}`)}</label>`)}</fieldset>
<p class="field"><label for="f-severity">${t('review.severity')}</label><select id="f-severity" name="severity"><option value="">—</option>${(['low', 'medium', 'high', 'urgent'] as const).map((s) => html`<option value="${s}" ${v.severity === s ? 'selected' : ''}>${t(`review.severity_${s}`)}</option>`)}</select></p>
<p class="field"><label for="f-rating">${t('review.rating')}</label><select id="f-rating" name="rating"><option value="">—</option>${[5, 4, 3, 2, 1].map((n) => html`<option value="${n}" ${v.rating === String(n) ? 'selected' : ''}>${'★'.repeat(n)}</option>`)}</select></p>
${field(state, { name: 'incidentMonth', label: t('review.month'), type: 'month', required: true, value: month })}
${areas.length ? html`<p class="field"><label for="f-area">${t('review.area')}</label><select id="f-area" name="area"><option value="">—</option>${areas.map((a) => html`<option value="${a.id}" ${v.area === a.id ? 'selected' : ''}>${a.name}</option>`)}</select></p>` : ''}
<fieldset><legend>${t('review.identifiers')}</legend><p><small>${t('review.identifiers_hint')} ${phoneHint(ctx)}</small></p>
${Array.from({ length: IDENTIFIER_ROWS }, (_, i) => html`<div class="idrow">
<label>${t('review.id_type')} <select name="idType${i}">${(['phone', 'email', 'handle'] as const).map((k) => html`<option value="${k}" ${v[`idType${i}`] === k ? 'selected' : ''}>${t(`review.id_${k}`)}</option>`)}</select></label>
<label>${t('review.id_value')} <input name="idValue${i}" maxlength="254" autocomplete="off" dir="ltr" value="${v[`idValue${i}`] ?? ''}"></label>
<label>${t('review.platform')} <input name="idPlatform${i}" maxlength="40" value="${v[`idPlatform${i}`] ?? ''}"></label>
${state?.fieldErrors?.[`identifiers.${i}`] ? html`<span class="problem">${state.fieldErrors[`identifiers.${i}`]}</span>` : ''}</div>`)}
${state?.fieldErrors?.identifiers ? html`<span class="problem">${state.fieldErrors.identifiers}</span>` : ''}</fieldset>
${field(state, { name: 'descriptors', label: t('review.descriptors'), hint: t('review.descriptors_hint'), maxlength: 1000 })}
<p class="field${state?.fieldErrors?.body ? ' invalid' : ''}"><label for="f-body">${t('review.body')}</label><small>${t('review.body_hint')}</small>
<textarea id="f-body" name="body" rows="6" maxlength="${REVIEW_BODY_MAX}" required>${v.body ?? ''}</textarea>${state?.fieldErrors?.body ? html`<span class="problem">${state.fieldErrors.body}</span>` : ''}</p>
${photoFields(ctx)}
<fieldset><legend>${t('post.post_as')}</legend>
<label class="check"><input type="radio" name="anonymous" value="on" ${signed ? '' : 'checked'}> ${t('post.post_anonymously')}</label>
<label class="check"><input type="radio" name="anonymous" value="false" ${signed ? 'checked' : ''}> ${t('review.sign')}</label>
<small>${t('review.anonymous_hint')}</small></fieldset>
<button type="submit" class="primary">${icon('check')} ${t('review.submit')}</button></form>`,
  });
}

export function reviewPage(ctx: PageContext, data: { review: ReviewView; responses: readonly ResponseView[] }, photos: readonly PhotoView[], state?: FormState): SafeHtml {
  const { t } = ctx;
  const r = data.review;
  return layout(ctx, {
    title: t('review.title'),
    body: html`<nav class="crumbs"><a href="/reviews/${r.board}">${icon('shield')} ${t('review.back_board')}</a></nav>
${reviewCard(ctx, r, false)}
${photoGallery(ctx, photos)}
${errorBox(state)}
${r.question ? html`<section class="card"><h2>${t('review.question')}</h2><p>${r.question}</p>${r.answer ? html`<p><strong>${t('review.answer')}:</strong> ${r.answer}</p>` : ''}
${r.mine ? html`<form method="post" action="/r/${r.id}/answer" class="stack">${csrfField(ctx)}${field(state, { name: 'answer', label: t('review.answer'), required: true, maxlength: 2000 })}<button type="submit">${t('review.send_answer')}</button></form>` : ''}</section>` : ''}
${r.rejectReason ? html`<p class="notice">${t('review.rejected_because', { reason: r.rejectReason })}</p>` : ''}
<h2>${t('review.responses')}</h2>
<ol class="posts">${data.responses.map((s) => html`<li class="post"><header>${t(`review.response_${s.kind}`)} · ${authorLabel(ctx, s.author)} · ${formatDay(ctx, s.createdAt)}</header>${s.html ? html`<div class="body" dir="auto">${raw(s.html)}</div>` : ''}</li>`)}</ol>
${r.canRespond
  ? html`<section class="card"><h2>${t('review.respond')}</h2>
<form method="post" action="/r/${r.id}/respond" class="stack">${csrfField(ctx)}
<fieldset><legend>${t('review.response_kind')}</legend>
<label class="check"><input type="radio" name="kind" value="corroborate" checked> ${t('review.response_corroborate')}</label>
${r.kind === 'warning' ? html`<label class="check"><input type="radio" name="kind" value="counter_vouch"> ${t('review.response_counter_vouch')}</label>` : ''}
<label class="check"><input type="radio" name="kind" value="dispute"> ${t('review.response_dispute')}</label></fieldset>
${field(state, { name: 'note', label: t('review.note'), maxlength: 2000 })}
<label class="check"><input type="checkbox" name="anonymous" value="on"> ${t('post.post_anonymously')}</label>
<button type="submit" class="primary">${icon('check')} ${t('review.send_response')}</button></form></section>`
  : ''}
${r.mine
  ? html`<section class="card"><h2>${t('review.correct')}</h2>
<form method="post" action="/r/${r.id}/correct" class="stack">${csrfField(ctx)}
<p class="field"><label for="c-body">${t('review.body')}</label><textarea id="c-body" name="body" rows="5" maxlength="${REVIEW_BODY_MAX}">${r.body ?? ''}</textarea></p>
${field(state, { name: 'descriptors', label: t('review.descriptors'), maxlength: 1000, value: r.descriptors })}
<button type="submit">${icon('edit')} ${t('review.correct')}</button></form>
<form method="post" action="/r/${r.id}/retract" class="stack">${csrfField(ctx)}<button type="submit" class="danger">${icon('trash')} ${t('review.retract')}</button></form></section>`
  : ''}
${r.canModerate ? moderationForm(ctx, r) : ''}`,
  });
}

function moderationForm(ctx: PageContext, r: ReviewView): SafeHtml {
  const { t } = ctx;
  const actions = r.status === 'pending' ? ['publish', 'reject', 'ask', 'edit', 'remove'] : ['ask', 'edit', 'remove'];
  return html`<section class="card mod"><h2>${icon('shield')} ${t('mod.actions')}</h2>
<form method="post" action="/r/${r.id}/moderate" class="stack">${csrfField(ctx)}
<p class="field"><label for="m-action">${t('mod.action')}</label><select id="m-action" name="action">${actions.map((a) => html`<option value="${a}">${t(`review.mod_${a}`)}</option>`)}</select></p>
${field(undefined, { name: 'reason', label: t('mod.reason'), maxlength: 500 })}
${field(undefined, { name: 'question', label: t('review.question'), maxlength: 1000 })}
<p class="field"><label for="m-body">${t('review.body')} (${t('review.mod_edit')})</label><textarea id="m-body" name="body" rows="4">${r.body ?? ''}</textarea></p>
${field(undefined, { name: 'descriptors', label: t('review.descriptors'), maxlength: 1000, value: r.descriptors })}
<button type="submit">${icon('check')} ${t('mod.apply')}</button></form></section>`;
}

export function queuePage(ctx: PageContext, pending: readonly { review: ReviewView; author: string | null }[]): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('review.queue'),
    body: html`<h1>${icon('flag')} ${t('review.queue')}</h1>
${pending.length === 0 ? html`<p>${t('mod.no_pending')}</p>` : ''}
${pending.map((p) => html`<div class="card">${p.author ? html`<p><small>${t('mod.author', { handle: p.author })}</small></p>` : ''}${reviewCard(ctx, p.review)}</div>`)}`,
  });
}
