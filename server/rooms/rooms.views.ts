import { html, raw, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, formatDuration, formatTime, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import { reactionEmoji, reactionKinds } from '../forums/reactions.js';
import { reportReasons } from '../moderation/report-reasons.js';
import { retentionChoices } from './rooms.collections.js';
import { ALIAS_MAX, MESSAGE_MAX, NOTE_MAX, PIN_BODY_MAX, PIN_TITLE_MAX } from './rooms.schemas.js';
import type { AuthorView, History, MemberMessageView, MemberView, MyRoomView, PinView, RoomPreview, RoomView } from './view-models.js';
import type { JoinRequestView, RoomNotice } from './membership.service.js';
import type { PhotoView } from '../media/media.service.js';
import { photoGallery } from '../media/media.views.js';
import { photoFields, photoFormAttributes } from '../views/photos.js';

/**
 * Room pages never put a room's name or purpose where a glance at the screen,
 * the tab list or the browser history would show it: titles and headings use
 * a neutral label unless the member opted in for that room.
 */
const roomLabel = (ctx: PageContext, room: { name: string; membership: { showName: boolean } }) =>
  room.membership.showName ? room.name : ctx.t('room.neutral');

export function authorLabel(ctx: PageContext, author: AuthorView | null): SafeHtml {
  if (!author || author.kind === 'deleted') return html`<span class="author gone">${ctx.t('post.deleted_member')}</span>`;
  // The "@" marks a pseudonym; aliases cannot contain it, so an alias cannot pass for someone's pseudonym.
  return html`<span class="author">${author.kind === 'pseudonym' ? `@${author.label}` : author.label}</span>`;
}

const retentionLabel = (ctx: PageContext, days: number) => (days === 1 ? ctx.t('room.retention_24h') : formatDuration(ctx, days * 1440));

/** How the member wants to appear in a room they are joining. */
function appearanceFields(ctx: PageContext, state?: FormState): SafeHtml {
  const { t } = ctx;
  const mode = state?.values?.displayMode === 'pseudonym' ? 'pseudonym' : 'alias';
  return html`<fieldset><legend>${t('room.how_shown')}</legend>
<label><input type="radio" name="displayMode" value="alias" ${mode === 'alias' ? 'checked' : ''}> ${t('room.show_alias')}</label>
<label><input type="radio" name="displayMode" value="pseudonym" ${mode === 'pseudonym' ? 'checked' : ''}> ${t('room.show_pseudonym', { handle: ctx.account?.handle ?? '' })}</label>
<p class="hint">${t('room.pseudonym_links')}</p>
</fieldset>
${field(state, { name: 'alias', label: t('room.alias'), hint: t('room.alias_hint'), maxlength: ALIAS_MAX })}`;
}

export function roomsPage(
  ctx: PageContext,
  data: { mine: readonly MyRoomView[]; notices: readonly RoomNotice[]; directory: { rooms: readonly Omit<RoomPreview, 'membership' | 'requested'>[]; next: string | null }; canCreate: boolean },
  state?: FormState,
): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('rooms.title'),
    body: html`<h1>${icon('chat')} ${t('rooms.title')}</h1>
<p>${t('rooms.intro')}</p>
${data.notices.length === 0 ? '' : html`<ul class="list notices">${data.notices.map(
      (n) => html`<li>${n.roomId ? html`<a href="/rooms/${n.roomId}">${t(`notification.${n.kind}`)}</a>` : t(`notification.${n.kind}`)} · <small>${formatTime(ctx, n.createdAt)}</small></li>`,
    )}</ul>`}
<h2>${t('rooms.mine')}</h2>
${data.mine.length === 0 ? html`<p>${t('rooms.none')}</p>` : ''}
<ul class="boards rooms">${data.mine.map(
      (r, i) => html`<li><a href="/rooms/${r.id}"><strong>${r.showName ? r.name : t('room.neutral_numbered', { number: i + 1 })}</strong>${r.unread > 0 ? html` <span class="tag">${t('rooms.unread', { count: r.unread })}</span>` : ''}${r.requests > 0 ? html` <span class="tag">${t('room.requests')}: ${r.requests}</span>` : ''}</a>
${r.showName ? '' : html`<details><summary>${t('rooms.show_name')}</summary>${r.name}</details>`}</li>`,
    )}</ul>
<section id="join" aria-labelledby="h-join"><h2 id="h-join">${icon('key')} ${t('rooms.join_code')}</h2>
${errorBox(state)}
<form method="post" action="/rooms/join" class="stack">${csrfField(ctx)}
${field(state, { name: 'code', label: t('rooms.code'), required: true, maxlength: 40, autocomplete: 'off' })}
${appearanceFields(ctx, state)}
<button type="submit" class="primary">${icon('key')} ${t('rooms.join')}</button></form></section>
<h2>${icon('list')} ${t('rooms.directory')}</h2>
<p><small>${t('rooms.directory_explain')}</small></p>
${data.directory.rooms.length === 0 ? html`<p>${t('rooms.directory_empty')}</p>` : ''}
<ul class="boards rooms">${data.directory.rooms.map(
      (r) => html`<li><a href="/rooms/${r.id}"><strong>${r.name}</strong></a><p>${r.description}</p>
<small>${r.language} · ${t(`room.policy_${r.joinPolicy}`)}</small></li>`,
    )}</ul>
${data.directory.next ? html`<p><a class="button" href="/rooms?after=${encodeURIComponent(data.directory.next)}">${t('forums.older')}</a></p>` : ''}
${data.canCreate ? html`<p><a class="button" href="/rooms/new">${icon('plus')} ${t('rooms.create')}</a></p>` : ''}`,
  });
}

function retentionSelect(ctx: PageContext, state: FormState | undefined, current: number): SafeHtml {
  const chosen = Number(state?.values?.retentionDays ?? current);
  return html`<p class="field"><label for="f-retention">${ctx.t('room.retention')}</label>
<small id="f-retention-hint">${ctx.t('room.retention_hint')}</small>
<select id="f-retention" name="retentionDays" aria-describedby="f-retention-hint">${retentionChoices.map(
    (d) => html`<option value="${d}" ${d === chosen ? 'selected' : ''}>${retentionLabel(ctx, d)}</option>`,
  )}</select></p>`;
}

function policyChoice(ctx: PageContext, state: FormState | undefined, current: string): SafeHtml {
  const chosen = state?.values?.joinPolicy ?? current;
  return html`<fieldset><legend>${ctx.t('room.policy')}</legend>${(['request', 'invite'] as const).map(
    (p) => html`<label><input type="radio" name="joinPolicy" value="${p}" ${chosen === p ? 'checked' : ''}> ${ctx.t(`room.policy_${p}`)}</label>`,
  )}</fieldset>`;
}

/** A checkbox after a hidden "false": unticked still sends a value, so a form can turn a setting off. */
function checkbox(name: string, label: string, checked: boolean): SafeHtml {
  return html`<input type="hidden" name="${name}" value="false"><label class="check"><input type="checkbox" name="${name}" value="on" ${checked ? 'checked' : ''}> ${label}</label>`;
}

export function newRoomPage(ctx: PageContext, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('rooms.create'),
    body: html`<h1>${icon('plus')} ${t('rooms.create')}</h1>
<p>${t('rooms.create_explain')}</p>
${errorBox(state)}
<form method="post" action="/rooms" class="stack">${csrfField(ctx)}
${field(state, { name: 'name', label: t('room.name'), required: true, maxlength: 80 })}
${field(state, { name: 'description', label: t('room.description'), maxlength: 500 })}
${field(state, { name: 'purpose', label: t('room.purpose'), hint: t('room.purpose_hint'), maxlength: 80 })}
${field(state, { name: 'language', label: t('room.language'), maxlength: 20, value: ctx.locale })}
${policyChoice(ctx, state, 'request')}
${retentionSelect(ctx, state, 30)}
${checkbox('listed', t('room.listed'), state?.values?.listed?.split(',').includes('on') ?? false)}
<small>${t('room.listed_hint')}</small>
${field(state, { name: 'alias', label: t('room.your_alias'), hint: t('room.alias_hint'), maxlength: ALIAS_MAX })}
<button type="submit" class="primary">${icon('plus')} ${t('rooms.create')}</button></form>`,
  });
}

export function joinPage(ctx: PageContext, room: RoomPreview, key: string | null, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('room.join_title'),
    body: html`<nav class="crumbs"><a href="/rooms">${icon('chat')} ${t('rooms.title')}</a></nav>
<h1>${room.name}</h1>
<p>${room.description}</p>
<p><small>${room.language} · ${t(`room.policy_${room.joinPolicy}`)}</small></p>
${room.requested
  ? html`<p class="notice" role="status">${t('room.request_waiting')}</p>`
  : room.joinPolicy === 'invite'
    ? html`<p>${t('room.invite_only_explain')} <a href="/rooms#join">${t('rooms.join_code')}</a></p>`
    : html`${errorBox(state)}<form method="post" action="/rooms/${room.id}/requests" class="stack">${csrfField(ctx)}
${key ? html`<input type="hidden" name="key" value="${key}">` : ''}
${field(state, { name: 'note', label: t('room.request_note'), hint: t('room.request_note_hint'), maxlength: NOTE_MAX })}
${appearanceFields(ctx, state)}
<button type="submit" class="primary">${icon('user')} ${t('room.ask_to_join')}</button></form>`}`,
  });
}

interface MessageOptions {
  readonly roomId: string;
  readonly facilitator: boolean;
  readonly photos?: readonly PhotoView[];
}

function reactionButtons(ctx: PageContext, m: Pick<MemberMessageView, 'reactions' | 'myReactions'>): SafeHtml {
  return html`${reactionKinds.map(
    (k) => html`<button type="submit" name="kind" value="${k}" data-kind="${k}" class="reaction${m.myReactions.includes(k) ? ' mine' : ''}" aria-pressed="${m.myReactions.includes(k) ? 'true' : 'false'}" title="${ctx.t(`reaction.${k}`)}"><span aria-hidden="true">${reactionEmoji[k]}</span><span class="visually-hidden">${ctx.t(`reaction.${k}`)}</span> <span class="count">${m.reactions[k] || ''}</span></button>`,
  )}`;
}

export function messageItem(ctx: PageContext, m: MemberMessageView, options: MessageOptions): SafeHtml {
  const { t } = ctx;
  const base = `/rooms/${options.roomId}`;
  return html`<li id="m-${m.id}" class="message${m.mine ? ' mine' : ''}" data-cursor="${m.cursor}">
<header>${authorLabel(ctx, m.author)}${m.mine ? html` <small>(${t('post.you')})</small>` : ''} · <time datetime="${new Date(m.createdAt).toISOString()}">${formatTime(ctx, m.createdAt)}</time>${m.editedAt ? html` · <small>${t('post.edited')}</small>` : ''}</header>
${m.replyTo ? html`<blockquote class="quote"><a href="#m-${m.replyTo.id}">${authorLabel(ctx, m.replyTo.author)}</a>: ${m.replyTo.excerpt ?? t('room.message_gone')}</blockquote>` : ''}
<div class="body" dir="auto">${raw(m.html)}</div>${photoGallery(ctx, options.photos)}
<form method="post" action="${base}/m/${m.id}/react" class="reactions">${csrfField(ctx)}${reactionButtons(ctx, m)}</form>
<p class="actions"><a href="${base}?reply=${m.id}#send">${icon('reply')} ${t('room.reply')}</a>
${m.mine ? html`<a href="${base}/m/${m.id}/edit">${icon('edit')} ${t('post.edit')}</a>` : html`<a href="${base}/m/${m.id}/report">${icon('flag')} ${t('post.report')}</a>`}
${m.canDelete ? html`<form method="post" action="${base}/m/${m.id}/delete" class="inline">${csrfField(ctx)}<button type="submit" class="link">${icon('trash')} ${t('room.delete')}</button></form>` : ''}
${options.facilitator ? html`<form method="post" action="${base}/m/${m.id}/pin" class="inline">${csrfField(ctx)}<button type="submit" class="link">${icon('pin')} ${t('room.pin')}</button></form>` : ''}</p>
</li>`;
}

/**
 * What client/room.js clones for a message that arrives live. MID stands for
 * the message id in links and form actions; elements marked only-mine or
 * only-others are kept or dropped depending on who wrote it.
 */
function messageTemplate(ctx: PageContext, options: MessageOptions): SafeHtml {
  const { t } = ctx;
  const base = `/rooms/${options.roomId}`;
  const zero = { reactions: Object.fromEntries(reactionKinds.map((k) => [k, 0])) as MemberMessageView['reactions'], myReactions: [] };
  return html`<template id="message-template"><li class="message">
<header><span class="author"></span> <small class="only-mine">(${t('post.you')})</small> · <time></time></header>
<blockquote class="quote"><a href="#m-MID"><span class="author"></span></a>: <span class="excerpt"></span></blockquote>
<div class="body" dir="auto"></div>
<form method="post" action="${base}/m/MID/react" class="reactions">${csrfField(ctx)}${reactionButtons(ctx, zero)}</form>
<p class="actions"><a href="${base}?reply=MID#send">${icon('reply')} ${t('room.reply')}</a>
<a class="only-mine" href="${base}/m/MID/edit">${icon('edit')} ${t('post.edit')}</a><a class="only-others" href="${base}/m/MID/report">${icon('flag')} ${t('post.report')}</a>
<form method="post" action="${base}/m/MID/delete" class="inline${options.facilitator ? '' : ' only-mine'}">${csrfField(ctx)}<button type="submit" class="link">${icon('trash')} ${t('room.delete')}</button></form>
${options.facilitator ? html`<form method="post" action="${base}/m/MID/pin" class="inline">${csrfField(ctx)}<button type="submit" class="link">${icon('pin')} ${t('room.pin')}</button></form>` : ''}</p>
</li></template>`;
}

function pinItems(ctx: PageContext, room: RoomView, pins: readonly PinView[]): SafeHtml {
  const facilitator = room.membership.role === 'facilitator';
  return html`${pins.map(
    (p) => html`<li>${p.title ? html`<strong>${p.title}</strong>` : authorLabel(ctx, p.author)}<div class="body" dir="auto">${raw(p.html)}</div>
${facilitator ? html`<form method="post" action="/rooms/${room.id}/pins/${p.id}/remove" class="inline">${csrfField(ctx)}<button type="submit" class="link">${icon('trash')} ${ctx.t('room.unpin')}</button></form>` : ''}</li>`,
  )}`;
}

function blockedNotice(ctx: PageContext, room: RoomView): SafeHtml {
  switch (room.postBlocked) {
    case 'room_muted':
      return html`<p class="notice">${icon('lock')} ${ctx.t('room.muted_notice', { until: formatTime(ctx, room.membership.mutedUntil ?? 0) })}</p>`;
    case 'room_read_only':
      return html`<p class="notice">${icon('lock')} ${ctx.t('error.room_read_only')}</p>`;
    case 'suspended':
      return html`<p class="notice">${ctx.t('room.suspended_notice')}</p>`;
    default:
      return html``;
  }
}

export function roomPage(
  ctx: PageContext,
  data: { room: RoomView; history: History; photos: ReadonlyMap<string, readonly PhotoView[]>; pins: readonly PinView[]; reply: MemberMessageView | null; before: string | null; clientId: string; still: boolean },
  state?: FormState,
): SafeHtml {
  const { t } = ctx;
  const { room, history } = data;
  const facilitator = room.membership.role === 'facilitator';
  const label = roomLabel(ctx, room);
  const newest = data.before === null;
  const last = history.messages[history.messages.length - 1];
  const problem = state?.fieldErrors?.body;
  return layout(ctx, {
    title: label,
    scripts: ['vendor/socket.io.min.js', 'room.js', 'photo-cover.js'],
    // Without JavaScript the page refreshes to show new messages; not while the member is writing or reading back.
    ...(data.still ? {} : { head: html`<noscript><meta http-equiv="refresh" content="30"></noscript>` }),
    body: html`<nav class="crumbs"><a href="/rooms">${icon('chat')} ${t('rooms.title')}</a></nav>
<h1>${label}</h1>
<details class="about"><summary>${t('room.about')}</summary>
<p><strong>${room.name}</strong></p>${room.description ? html`<p>${room.description}</p>` : ''}
${room.purpose ? html`<p>${t('room.purpose')}: ${room.purpose}</p>` : ''}
<p><small>${t('room.retention_note', { retention: retentionLabel(ctx, room.retentionDays) })}</small></p></details>
<p class="online">${icon('user')} ${t('room.online')} <span id="room-online">${room.online}</span></p>
<section id="pins" class="pins"${data.pins.length === 0 ? ' hidden' : ''}><h2>${icon('pin')} ${t('room.pinned')}</h2>
<ul class="list" id="pin-list">${pinItems(ctx, room, data.pins)}</ul></section>
${history.older ? html`<p><a class="button" href="/rooms/${room.id}?before=${history.older}">${t('room.older')}</a></p>` : ''}
${history.messages.length === 0 && newest ? html`<p id="room-empty">${t('room.empty')}</p>` : ''}
<ol id="messages" class="posts messages"${newest
      ? html` data-room="${room.id}" data-cursor="${last?.cursor ?? '0'}" data-sending="${t('room.sending')}" data-failed="${t('room.failed')}" data-retry="${t('room.retry')}" data-new="${t('room.new_message')}" data-offline="${t('room.offline')}" data-removed="${t('room.removed')}" data-closed="${t('room.closed')}" data-gone="${t('room.message_gone')}" data-edited="${t('post.edited')}" data-deleted-member="${t('post.deleted_member')}"`
      : ''}>${history.messages.map((m) => messageItem(ctx, m, { roomId: room.id, facilitator, photos: data.photos.get(m.id) }))}</ol>
${newest ? '' : html`<p><a class="button" href="/rooms/${room.id}">${t('room.newest')}</a></p>`}
<p id="room-status" class="live" role="status" aria-live="polite"></p>
<p><a class="button" id="room-refresh" href="/rooms/${room.id}">${icon('check')} ${t('room.refresh')}</a></p>
<noscript><p><small>${t('room.refresh_note')} <a href="/rooms/${room.id}?write=1#send">${t('room.write_still')}</a></small></p></noscript>
<section id="send" aria-labelledby="h-send"><h2 id="h-send" class="visually-hidden">${t('room.write')}</h2>
${errorBox(state)}
${room.postBlocked
  ? blockedNotice(ctx, room)
  : html`<form method="post" action="/rooms/${room.id}/messages" class="stack" id="send-form" ${photoFormAttributes(ctx)}>${csrfField(ctx)}
<input type="hidden" name="clientId" value="${data.clientId}">
${data.reply ? html`<input type="hidden" name="replyTo" value="${data.reply.id}"><blockquote class="quote">${t('room.replying_to')} ${authorLabel(ctx, data.reply.author)}: ${raw(data.reply.html)}</blockquote><p><a href="/rooms/${room.id}#send">${t('room.cancel_reply')}</a></p>` : ''}
<p class="field${problem ? ' invalid' : ''}"><label for="f-body">${t('room.message')}</label>
<small id="f-body-hint">${t('post.markdown_hint')}</small>
<textarea id="f-body" name="body" rows="3" maxlength="${MESSAGE_MAX}" required aria-describedby="f-body-hint" ${problem ? 'aria-invalid="true"' : ''}>${state?.values?.body ?? ''}</textarea>
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>
${photoFields(ctx)}
<button type="submit" class="primary">${icon('chat')} ${t('room.send')}</button></form>`}
</section>
${newest ? messageTemplate(ctx, { roomId: room.id, facilitator }) : ''}
${facilitator ? html`<p><a class="button" href="/rooms/${room.id}/manage">${icon('shield')} ${t('room.manage')}</a></p>` : ''}
<details id="my-settings" class="card"><summary>${icon('settings')} ${t('room.my_settings')}</summary>
<form method="post" action="/rooms/${room.id}/membership" class="stack">${csrfField(ctx)}
<fieldset><legend>${t('room.how_shown')}</legend>
<label><input type="radio" name="displayMode" value="alias" ${room.membership.displayMode === 'alias' ? 'checked' : ''}> ${t('room.show_alias')}</label>
<label><input type="radio" name="displayMode" value="pseudonym" ${room.membership.displayMode === 'pseudonym' ? 'checked' : ''}> ${t('room.show_pseudonym', { handle: ctx.account?.handle ?? '' })}</label>
<p class="hint">${t('room.pseudonym_links')}</p>
</fieldset>
${field(undefined, { name: 'alias', label: t('room.alias'), maxlength: ALIAS_MAX, value: room.membership.alias })}
<small>${t('room.settings_apply_new')}</small>
${checkbox('showName', t('room.show_name'), room.membership.showName)}
<small>${t('room.show_name_hint')}</small>
<button type="submit">${icon('check')} ${t('settings.save')}</button></form>
<form method="post" action="/rooms/${room.id}/leave" class="stack">${csrfField(ctx)}
<button type="submit" class="danger">${icon('logout')} ${t('room.leave')}</button></form></details>`,
  });
}

export function editMessagePage(ctx: PageContext, roomId: string, m: MemberMessageView, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('post.edit'),
    body: html`<h1>${icon('edit')} ${t('post.edit')}</h1>
${errorBox(state)}
<form method="post" action="/rooms/${roomId}/m/${m.id}/edit" class="stack">${csrfField(ctx)}
<p class="field"><label for="f-body">${t('room.message')}</label>
<textarea id="f-body" name="body" rows="4" maxlength="${MESSAGE_MAX}" required>${state?.values?.body ?? m.body ?? ''}</textarea></p>
<button type="submit" class="primary">${icon('check')} ${t('settings.save')}</button></form>
<form method="post" action="/rooms/${roomId}/m/${m.id}/delete" class="stack">${csrfField(ctx)}
<button type="submit" class="danger">${icon('trash')} ${t('room.delete')}</button></form>
<p><a href="/rooms/${roomId}#m-${m.id}">${t('room.back')}</a></p>`,
  });
}

export function reportMessagePage(ctx: PageContext, roomId: string, m: MemberMessageView, state?: FormState): SafeHtml {
  const { t } = ctx;
  const chosen = state?.values?.reason;
  return layout(ctx, {
    title: t('room.report_title'),
    body: html`<h1>${icon('flag')} ${t('room.report_title')}</h1>
<p>${t('room.report_explain')}</p>
<blockquote>${authorLabel(ctx, m.author)}: ${raw(m.html)}</blockquote>
${errorBox(state)}
<form method="post" action="/rooms/${roomId}/m/${m.id}/report" class="stack">${csrfField(ctx)}
<fieldset><legend>${t('report.why')}</legend>
${reportReasons.map((r, i) => html`<label><input type="radio" name="reason" value="${r}" ${chosen === r || (!chosen && i === 0) ? 'checked' : ''}> ${t(`report.reason_${r}`)}</label>`)}
</fieldset>
${field(state, { name: 'note', label: t('room.report_note'), maxlength: 1000 })}
<button type="submit" class="primary">${icon('flag')} ${t('report.send')}</button></form>
<p><a href="/rooms/${roomId}#m-${m.id}">${t('room.back')}</a></p>`,
  });
}

export type ManageSection = 'requests' | 'members' | 'invites' | 'reports' | 'pins' | 'settings' | 'close';

export interface ManageData {
  readonly room: RoomView;
  readonly requests: readonly JoinRequestView[];
  readonly members: readonly MemberView[];
  readonly invites: readonly { id: string; createdAt: number; expiresAt: number }[];
  readonly reports: readonly { id: string; reason: string; note: string; createdAt: number; message: { id: string; html: string; author: AuthorView } | null; memberId: string | null }[];
  readonly pins: readonly PinView[];
  /** The full request link, for a room that takes requests. */
  readonly requestLink: string | null;
  /** A code just made: shown this once. */
  readonly newCode?: { code: string; expiresAt: number };
}

const muteChoices = [60, 24 * 60, 7 * 24 * 60] as const;

export function managePage(ctx: PageContext, data: ManageData, problem?: { section: ManageSection; form: FormState }): SafeHtml {
  const { t } = ctx;
  const { room } = data;
  const base = `/rooms/${room.id}/manage`;
  const box = (section: ManageSection) => (problem?.section === section ? errorBox(problem.form) : '');
  const state = (section: ManageSection) => (problem?.section === section ? problem.form : undefined);
  const post = (action: string, label: SafeHtml, extra: SafeHtml | string = '', cls = '') =>
    html`<form method="post" action="${base}/${action}" class="inline">${csrfField(ctx)}${extra}<button type="submit" class="${cls}">${label}</button></form>`;
  const settings = state('settings');
  return layout(ctx, {
    title: t('room.manage'),
    body: html`<nav class="crumbs"><a href="/rooms/${room.id}">${icon('chat')} ${roomLabel(ctx, room)}</a></nav>
<h1>${icon('shield')} ${t('room.manage')}</h1>
<p>${t('room.manage_explain')}</p>
<nav class="tabs"><a href="#requests">${t('room.requests')}</a><a href="#members">${t('room.members')}</a><a href="#invites">${t('room.invites')}</a><a href="#reports">${t('room.reports')}</a><a href="#pins">${t('room.pinned')}</a><a href="#settings">${t('room.settings')}</a></nav>

<section id="requests" class="card"><h2>${icon('user')} ${t('room.requests')}</h2>${box('requests')}
${data.requestLink ? html`<p>${t('room.request_link')}<br><code class="token">${data.requestLink}</code></p>` : ''}
${data.requests.length === 0 ? html`<p>${t('room.no_requests')}</p>` : ''}
<ul class="list">${data.requests.map(
      (r) => html`<li><strong>${r.handle === null ? t('room.handle_sealed') : `@${r.handle}`}</strong>${r.alias ? html` · ${t('room.alias')}: ${r.alias}` : ''} · <small>${formatTime(ctx, r.createdAt)}</small>
${r.note ? html`<blockquote>${r.note}</blockquote>` : ''}
<p class="actions">${post(`requests/${r.id}/approve`, html`${icon('check')} ${t('room.approve')}`, '', 'primary')} ${post(`requests/${r.id}/refuse`, html`${t('room.refuse')}`)}</p></li>`,
    )}</ul></section>

<section id="members" class="card"><h2>${icon('list')} ${t('room.members')}</h2>${box('members')}
<p><small>${t('room.members_private')}</small></p>
<ul class="list">${data.members.map(
      (m) => html`<li id="member-${m.id}"><strong>${m.alias}</strong> · ${t(`room.role_${m.role}`)}${m.displayMode === 'pseudonym' ? html` · <small>${t('room.shows_pseudonym')}</small>` : ''}
${m.mutedUntil && m.mutedUntil > Date.now() ? html`<p class="notice">${t('room.muted_until', { until: formatTime(ctx, m.mutedUntil) })}</p>` : ''}
${m.role === 'member'
  ? html`<p class="actions">${post(
      `members/${m.id}/mute`,
      html`${icon('lock')} ${t('room.mute')}`,
      html`<label class="visually-hidden" for="mute-${m.id}">${t('room.mute_for')}</label><select id="mute-${m.id}" name="minutes">${muteChoices.map((c) => html`<option value="${c}">${formatDuration(ctx, c)}</option>`)}<option value="0">${t('room.unmute')}</option></select> `,
    )}
${post(`members/${m.id}/facilitator`, html`${icon('shield')} ${t('room.make_facilitator')}`)}
${post(`members/${m.id}/remove`, html`${icon('trash')} ${t('room.remove')}`, '', 'danger')}</p>`
  : ''}</li>`,
    )}</ul></section>

<section id="invites" class="card"><h2>${icon('key')} ${t('room.invites')}</h2>${box('invites')}
${data.newCode ? html`<div class="success" role="status"><p>${t('room.invite_made', { until: formatDay(ctx, data.newCode.expiresAt) })}</p><p><code class="token">${data.newCode.code}</code></p></div>` : ''}
<form method="post" action="${base}/invites" class="stack">${csrfField(ctx)}
<p class="field"><label for="f-days">${t('room.invite_days')}</label><select id="f-days" name="days">${[1, 7, 30].map((d) => html`<option value="${d}" ${d === 7 ? 'selected' : ''}>${formatDuration(ctx, d * 1440)}</option>`)}</select></p>
<button type="submit">${icon('plus')} ${t('room.new_invite')}</button></form>
<ul class="list">${data.invites.map((i) => html`<li>${t('room.invite_line', { until: formatTime(ctx, i.expiresAt) })} ${post(`invites/${i.id}/revoke`, html`${t('room.revoke')}`)}</li>`)}</ul></section>

<section id="reports" class="card"><h2>${icon('flag')} ${t('room.reports')}</h2>${box('reports')}
${data.reports.length === 0 ? html`<p>${t('mod.no_reports')}</p>` : ''}
<ul class="list">${data.reports.map(
      (r) => html`<li><p><strong>${t(`report.reason_${r.reason}`)}</strong> · <small>${formatTime(ctx, r.createdAt)}</small></p>
${r.note ? html`<blockquote>${r.note}</blockquote>` : ''}
${r.message ? html`<div class="post">${authorLabel(ctx, r.message.author)}<div class="body" dir="auto">${raw(r.message.html)}</div></div>` : ''}
<p class="actions">${post(`reports/${r.id}/dismiss`, html`${t('mod.dismiss')}`)}
${r.message ? html`<form method="post" action="/rooms/${room.id}/m/${r.message.id}/delete" class="inline">${csrfField(ctx)}<input type="hidden" name="back" value="manage"><button type="submit" class="danger">${icon('trash')} ${t('room.delete')}</button></form>` : ''}
${r.memberId ? html`<a href="#member-${r.memberId}">${t('room.to_member')}</a>` : ''}</p></li>`,
    )}</ul></section>

<section id="pins" class="card"><h2>${icon('pin')} ${t('room.pinned')}</h2>${box('pins')}
<ul class="list">${pinItems(ctx, room, data.pins)}</ul>
<h3>${t('room.add_resource')}</h3>
<form method="post" action="${base}/pins" class="stack">${csrfField(ctx)}
${field(state('pins'), { name: 'title', label: t('room.resource_title'), required: true, maxlength: PIN_TITLE_MAX })}
<p class="field"><label for="f-pin-body">${t('room.resource_body')}</label><small id="f-pin-body-hint">${t('post.markdown_hint')}</small>
<textarea id="f-pin-body" name="body" rows="4" maxlength="${PIN_BODY_MAX}" aria-describedby="f-pin-body-hint">${state('pins')?.values?.body ?? ''}</textarea></p>
<button type="submit">${icon('pin')} ${t('room.pin')}</button></form></section>

<section id="settings" class="card"><h2>${icon('settings')} ${t('room.settings')}</h2>${box('settings')}
<form method="post" action="${base}/settings" class="stack">${csrfField(ctx)}
${field(settings, { name: 'name', label: t('room.name'), required: true, maxlength: 80, value: room.name })}
${field(settings, { name: 'description', label: t('room.description'), maxlength: 500, value: room.description })}
${field(settings, { name: 'purpose', label: t('room.purpose'), hint: t('room.purpose_hint'), maxlength: 80, value: room.purpose })}
${field(settings, { name: 'language', label: t('room.language'), maxlength: 20, value: room.language })}
${policyChoice(ctx, settings, room.joinPolicy)}
${retentionSelect(ctx, settings, room.retentionDays)}
${checkbox('listed', t('room.listed'), room.listed)}
${checkbox('readOnly', t('room.read_only'), room.readOnly)}
<button type="submit" class="primary">${icon('check')} ${t('settings.save')}</button></form></section>

<section id="close" class="danger"><h2>${icon('trash')} ${t('room.close')}</h2>${box('close')}
<p>${t('room.close_explain')}</p>
<form method="post" action="${base}/close" class="stack">${csrfField(ctx)}
<label class="check"><input type="checkbox" name="confirm" value="on" required> ${t('room.close_confirm')}</label>
<button type="submit" class="danger">${icon('trash')} ${t('room.close')}</button></form></section>`,
  });
}
