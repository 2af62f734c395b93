import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, formatTime, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import { reportReasons } from '../moderation/report-reasons.js';
import { modNav } from '../moderation/moderation.views.js';
import { acceptChoices, retentionChoices, type AcceptFrom } from './conversations.collections.js';
import { FIRST_MESSAGE_MAX, MESSAGE_MAX } from './conversations.schemas.js';
import type { ConversationSummary, History, MessageView, PersonView } from './conversations.service.js';
import type { RequestView } from './requests.service.js';
import type { ReportQueueItem } from './reports.service.js';
import { photoGallery } from '../media/media.views.js';
import { photoFields, photoFormAttributes } from '../views/photos.js';

const c = (ctx: PageContext, key: string, params?: Record<string, string | number>) => ctx.t(`conversations.${key}`, params);

const stateKeys = { waiting: 'state_waiting', left: 'state_left' } as const;
const acceptKeys = { buddies: 'accept_buddies', everyone: 'accept_everyone', nobody: 'accept_nobody' } as const;

/** Everyone in the conversation but the viewer, with how they are in it (here, waiting, left). */
function others(ctx: PageContext, people: readonly PersonView[]): SafeHtml {
  const list = people.filter((p) => !p.me);
  return html`${list.map((p, i) => html`${i > 0 ? ', ' : ''}<span>${p.handle}</span>${p.state === 'here' ? '' : html` <small class="tag">${c(ctx, stateKeys[p.state])}</small>`}`)}`;
}

 /** The heading's list of people: each with their place, so that client/conversation.js can show them join and leave. */
function peopleLine(ctx: PageContext, people: readonly PersonView[]): SafeHtml {
  const list = people.filter((p) => !p.me);
  return html`<span id="conversation-people">${list.map(
    (p, i) => html`${i > 0 ? ', ' : ''}<span data-place="${p.place}"><span>${p.handle}</span> <small class="tag"${p.state === 'here' ? ' hidden' : ''}>${p.state === 'here' ? '' : c(ctx, stateKeys[p.state])}</small></span>`,
  )}</span>`;
}

const retentionLabel = (ctx: PageContext, days: number) => c(ctx, 'retention_days', { days });

export interface ConversationsPageData {
  readonly requests: readonly RequestView[];
  readonly list: readonly ConversationSummary[];
  readonly accept: AcceptFrom;
  readonly blocked: readonly string[];
}

export function conversationsPage(ctx: PageContext, data: ConversationsPageData, state?: FormState): SafeHtml {
  const chosenDays = Number(state?.values?.retentionDays ?? 7);
  return layout(ctx, {
    title: c(ctx, 'title'),
    body: html`<h1>${icon('chat')} ${c(ctx, 'title')}</h1>
<p class="lead">${c(ctx, 'intro')}</p>
${data.requests.length > 0
  ? html`<section id="requests"><h2>${c(ctx, 'requests')}</h2><ul class="list">${data.requests.map(
      (r) => html`<li class="card"><p><strong>${r.from}</strong> · <small>${formatDay(ctx, r.createdAt)}</small></p><blockquote class="body">${r.body}</blockquote>
<form method="post" action="/conversations/requests/${r.id}/accept" class="inline">${csrfField(ctx)}<button type="submit" class="primary">${icon('check')} ${c(ctx, 'accept')}</button></form>
<form method="post" action="/conversations/requests/${r.id}/decline" class="inline">${csrfField(ctx)}<button type="submit">${c(ctx, 'decline')}</button></form>
<form method="post" action="/conversations/requests/${r.id}/block" class="inline">${csrfField(ctx)}<button type="submit" class="danger">${icon('lock')} ${c(ctx, 'block')}</button></form></li>`,
    )}</ul></section>`
  : ''}
<section><h2>${c(ctx, 'mine')}</h2>
${data.list.length === 0 ? html`<p>${c(ctx, 'none')}</p>` : ''}
<ul class="list" id="conversation-list">${data.list.map(
      (x) => html`<li><a href="/conversations/${x.id}">${others(ctx, x.people)}</a>${x.unread > 0 ? html` <span class="tag">${c(ctx, 'unread', { count: x.unread })}</span>` : ''}</li>`,
    )}</ul></section>
<section id="start" class="card"><h2>${icon('plus')} ${c(ctx, 'start')}</h2>
${errorBox(state)}
<form method="post" action="/conversations" class="stack">${csrfField(ctx)}
${field(state, { name: 'to', label: c(ctx, 'to'), hint: c(ctx, 'to_hint'), required: true, maxlength: 600 })}
<p class="field${state?.fieldErrors?.body ? ' invalid' : ''}"><label for="f-body">${c(ctx, 'first_message')}</label>
<small id="f-body-hint">${c(ctx, 'first_message_hint', { max: FIRST_MESSAGE_MAX })}</small>
<textarea id="f-body" name="body" rows="3" maxlength="${FIRST_MESSAGE_MAX}" required aria-describedby="f-body-hint">${state?.values?.body ?? ''}</textarea>
${state?.fieldErrors?.body ? html`<span class="problem">${state.fieldErrors.body}</span>` : ''}</p>
<fieldset><legend>${c(ctx, 'retention')}</legend>
${retentionChoices.map((d) => html`<label><input type="radio" name="retentionDays" value="${d}" ${d === chosenDays ? 'checked' : ''}> ${retentionLabel(ctx, d)}</label>`)}
</fieldset>
<button type="submit" class="primary">${icon('chat')} ${c(ctx, 'send_request')}</button></form></section>
<details class="card" id="settings"><summary>${icon('settings')} ${c(ctx, 'settings')}</summary>
<form method="post" action="/conversations/settings" class="stack">${csrfField(ctx)}
<fieldset><legend>${c(ctx, 'who_may_ask')}</legend>
${acceptChoices.map((a) => html`<label><input type="radio" name="accept" value="${a}" ${a === data.accept ? 'checked' : ''}> ${c(ctx, acceptKeys[a])}</label>`)}
</fieldset>
<button type="submit">${icon('check')} ${ctx.t('settings.save')}</button></form>
${data.blocked.length > 0
  ? html`<h3>${c(ctx, 'blocked')}</h3><ul class="list">${data.blocked.map(
      (h) => html`<li>${h} <form method="post" action="/conversations/blocked/${h}/unblock" class="inline">${csrfField(ctx)}<button type="submit" class="link">${c(ctx, 'unblock')}</button></form></li>`,
    )}</ul>`
  : ''}</details>`,
  });
}

function authorOf(ctx: PageContext, people: readonly PersonView[], place: number): string {
  const person = people.find((p) => p.place === place);
  return person ? person.handle : c(ctx, 'someone');
}

function messageItem(ctx: PageContext, conversation: ConversationSummary, m: MessageView): SafeHtml {
  const me = conversation.people.find((p) => p.me)?.place;
  const mine = m.place === me;
  const base = `/conversations/${conversation.id}`;
  return html`<li id="m-${m.id}" class="message${mine ? ' mine' : ''}" data-cursor="${m.cursor}">
<header><span class="author">${authorOf(ctx, conversation.people, m.place)}</span> · <time datetime="${new Date(m.createdAt).toISOString()}">${formatTime(ctx, m.createdAt)}</time></header>
<div class="body keep-lines">${m.body}</div>${photoGallery(ctx, m.photos)}
<p class="actions">${mine
    ? html`<form method="post" action="${base}/m/${m.id}/delete" class="inline">${csrfField(ctx)}<button type="submit" class="link">${icon('trash')} ${c(ctx, 'delete')}</button></form>`
    : html`<a href="${base}/m/${m.id}/report">${icon('flag')} ${ctx.t('post.report')}</a>`}</p>
</li>`;
}

/** What client/conversation.js clones for a message arriving live; MID stands for its id. */
function messageTemplate(ctx: PageContext, conversationId: string): SafeHtml {
  const base = `/conversations/${conversationId}`;
  return html`<template id="message-template"><li class="message">
<header><span class="author"></span> · <time></time></header>
<div class="body keep-lines"></div><ul class="photos" hidden></ul>
<p class="actions"><form method="post" action="${base}/m/MID/delete" class="inline only-mine">${csrfField(ctx)}<button type="submit" class="link">${icon('trash')} ${c(ctx, 'delete')}</button></form><a class="only-others" href="${base}/m/MID/report">${icon('flag')} ${ctx.t('post.report')}</a></p>
</li></template>`;
}

export function conversationPage(ctx: PageContext, data: { conversation: ConversationSummary; history: History; clientId: string; before: string | null; still: boolean }, state?: FormState): SafeHtml {
  const { conversation, history } = data;
  const newest = data.before === null;
  const last = history.messages[history.messages.length - 1];
  const me = conversation.people.find((p) => p.me);
  const base = `/conversations/${conversation.id}`;
  const problem = state?.fieldErrors?.body;
  const shorter = retentionChoices.filter((d) => d < conversation.retentionDays);
  const names = Object.fromEntries(conversation.people.map((p) => [String(p.place), p.handle]));
  return layout(ctx, {
    title: c(ctx, 'title'),
    scripts: ['vendor/socket.io.min.js', 'conversation.js', 'photo-cover.js'],
    // Without JavaScript the page reloads to show new messages; not while the member writes or reads back.
    ...(newest && !data.still && state === undefined ? { head: html`<noscript><meta http-equiv="refresh" content="30"></noscript>` } : {}),
    body: html`<nav class="crumbs"><a href="/conversations">${icon('chat')} ${c(ctx, 'title')}</a></nav>
<h1>${c(ctx, 'with')} ${peopleLine(ctx, conversation.people)}</h1>
<p id="conversation-retention" data-notes="${JSON.stringify(Object.fromEntries(retentionChoices.map((d) => [d, c(ctx, 'retention_note', { days: d })])))}"><small>${c(ctx, 'retention_note', { days: conversation.retentionDays })}</small></p>
${history.older ? html`<p><a class="button" href="${base}?before=${history.older}">${c(ctx, 'older')}</a></p>` : ''}
<ol id="messages" class="posts messages"${newest
      ? html` data-conversation="${conversation.id}" data-me="${me?.place ?? -1}" data-cursor="${last?.cursor ?? '0'}" data-names="${JSON.stringify(names)}" data-someone="${c(ctx, 'someone')}" data-left="${c(ctx, 'state_left')}" data-waiting="${c(ctx, 'state_waiting')}" data-joined-note="${ctx.t('conversationPhotos.joined', { handle: '{handle}' })}" data-left-note="${ctx.t('conversationPhotos.left', { handle: '{handle}' })}" data-sensitive-label="${ctx.t('photos_ui.sensitive_label')}" data-removed="${c(ctx, 'removed')}" data-failed="${c(ctx, 'failed')}" data-offline="${c(ctx, 'offline')}"`
      : ''}>${history.messages.map((m) => messageItem(ctx, conversation, m))}</ol>
${newest ? '' : html`<p><a class="button" href="${base}">${c(ctx, 'newest')}</a></p>`}
<p id="conversation-status" class="live" role="status" aria-live="polite"></p>
<p><a class="button" href="${base}">${icon('check')} ${c(ctx, 'refresh')}</a></p>
<noscript><p><small>${ctx.t('room.refresh_note')} <a href="${base}?write=1#send">${ctx.t('room.write_still')}</a></small></p></noscript>
<section id="send"><h2 class="visually-hidden">${c(ctx, 'write')}</h2>
${errorBox(state)}
<form method="post" action="${base}/messages" class="stack" id="send-form" ${photoFormAttributes(ctx)}>${csrfField(ctx)}
<input type="hidden" name="clientId" value="${data.clientId}">
<p class="field${problem ? ' invalid' : ''}"><label for="f-body">${c(ctx, 'message')}</label>
<textarea id="f-body" name="body" rows="3" maxlength="${MESSAGE_MAX}" required ${problem ? 'aria-invalid="true"' : ''}>${state?.values?.body ?? ''}</textarea>
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>
${photoFields(ctx)}
<p><small>${ctx.t('conversationPhotos.photos_hint')}</small></p>
<button type="submit" class="primary">${icon('chat')} ${c(ctx, 'send')}</button></form></section>
${newest ? messageTemplate(ctx, conversation.id) : ''}
<details class="card"><summary>${icon('settings')} ${c(ctx, 'manage')}</summary>
${shorter.length > 0
  ? html`<form method="post" action="${base}/retention" class="stack" id="shorten-form">${csrfField(ctx)}<fieldset><legend>${c(ctx, 'shorten')}</legend>
${shorter.map((d, i) => html`<label><input type="radio" name="retentionDays" value="${d}" ${i === 0 ? 'checked' : ''}> ${retentionLabel(ctx, d)}</label>`)}</fieldset>
<button type="submit">${icon('check')} ${c(ctx, 'shorten_submit')}</button></form>`
  : ''}
${conversation.people.filter((p) => !p.me).map(
      (p) => html`<form method="post" action="${base}/block" class="stack">${csrfField(ctx)}<input type="hidden" name="place" value="${p.place}">
<button type="submit" class="danger">${icon('lock')} ${c(ctx, 'block_person', { handle: p.handle })}</button></form>`,
    )}
<p><small>${c(ctx, 'block_explain')}</small></p>
<form method="post" action="${base}/leave" class="stack">${csrfField(ctx)}<button type="submit" class="danger">${icon('logout')} ${c(ctx, 'leave')}</button></form></details>`,
  });
}

export function reportPage(ctx: PageContext, conversationId: string, m: MessageView, author: string, state?: FormState): SafeHtml {
  const chosen = state?.values?.reason;
  return layout(ctx, {
    title: c(ctx, 'report_title'),
    body: html`<h1>${icon('flag')} ${c(ctx, 'report_title')}</h1>
<p>${c(ctx, 'report_explain')}</p>
<blockquote>${author}: ${m.body}${photoGallery(ctx, m.photos)}</blockquote>
${errorBox(state)}
<form method="post" action="/conversations/${conversationId}/m/${m.id}/report" class="stack">${csrfField(ctx)}
<fieldset><legend>${ctx.t('report.why')}</legend>
${reportReasons.map((r, i) => html`<label><input type="radio" name="reason" value="${r}" ${chosen === r || (!chosen && i === 0) ? 'checked' : ''}> ${ctx.t(`report.reason_${r}`)}</label>`)}
</fieldset>
${field(state, { name: 'note', label: ctx.t('report.note'), maxlength: 1000 })}
<button type="submit" class="primary">${icon('flag')} ${ctx.t('report.send')}</button></form>
<p><a href="/conversations/${conversationId}#m-${m.id}">${c(ctx, 'back')}</a></p>`,
  });
}

export function modReportsPage(ctx: PageContext, items: readonly ReportQueueItem[], state?: FormState): SafeHtml {
  return layout(ctx, {
    title: c(ctx, 'mod_title'),
    body: html`<h1>${icon('flag')} ${c(ctx, 'mod_title')}</h1>
${modNav(ctx)}
<p>${c(ctx, 'mod_explain')}</p>
${errorBox(state)}
${items.length === 0 ? html`<p>${c(ctx, 'mod_none')}</p>` : ''}
<ul class="list">${items.map(
      (r) => html`<li class="card"><p><strong>${ctx.t(`report.reason_${r.reason}`)}</strong> · ${formatDay(ctx, r.createdAt)} · ${ctx.t('mod.author', { handle: r.author ?? c(ctx, 'someone') })}</p>
${r.note ? html`<p>${r.note}</p>` : ''}
${r.messages.map((m) => html`<blockquote><small>${formatTime(ctx, m.createdAt)}</small><div class="body keep-lines">${m.body}</div></blockquote>`)}
${r.photos.length > 0 ? html`<p>${ctx.t('conversationPhotos.report_photos')}</p>${photoGallery(ctx, r.photos)}` : ''}
${r.author ? html`<p><a href="/mod/accounts?handle=${encodeURIComponent(r.author)}">${ctx.t('mod.suspend_author')}</a></p>` : ''}
<form method="post" action="/mod/conversation-reports/${r.id}/resolve" class="inline">${csrfField(ctx)}<button type="submit">${icon('check')} ${c(ctx, 'mod_resolve')}</button></form></li>`,
    )}</ul>`,
  });
}
