import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, formatDay, icon, type FormState, type PageContext } from '../views/layout.js';
import type { PendingView } from '../accounts/accounts.service.js';
import type { MemberListing } from '../accounts/member-directory.js';
import { consolePage, dayNoon } from './console.views.js';

export interface MembersData {
  readonly members: readonly MemberListing[];
  readonly next: string | null;
  readonly q: string;
  readonly pending: readonly PendingView[];
  /** The admin looking, who is not offered a suspension of themselves. */
  readonly selfId: string;
  readonly done?: string;
}

const ROLES = ['member', 'moderator', 'admin'] as const;

/** One member: their role chosen from a list, the two marks, and a suspension or its lifting. */
function memberItem(ctx: PageContext, m: MemberListing, selfId: string, problem: FormState | undefined): SafeHtml {
  const { t } = ctx;
  const base = `/admin/members/${encodeURIComponent(m.handle)}`;
  const id = `m-${m.handle}`;
  return html`<li id="${id}"><p><strong><bdi>${m.handle}</bdi></strong>${m.displayName && m.displayName !== m.handle ? html` · <bdi>${m.displayName}</bdi>` : ''}
  · <span class="tag">${t(`role.${m.role}`)}</span>${m.status === 'pending' ? html` <span class="tag">${t('admin_console.status_pending')}</span>` : ''}
  ${m.suspendedUntilDay ? html` <span class="tag">${t('admin_console.suspended_until', { day: formatDay(ctx, dayNoon(m.suspendedUntilDay)) })}</span>` : ''}
  <br><small>${t('admin_console.joined', { day: formatDay(ctx, dayNoon(m.joinedDay)) })}</small></p>
  ${errorBox(problem)}
  <form method="post" action="${base}/role" class="inline">${csrfField(ctx)}
    <label for="${id}-role">${t('admin.role')}</label>
    <select id="${id}-role" name="role">${ROLES.map((r) => html`<option value="${r}" ${m.role === r ? 'selected' : ''}>${t(`role.${r}`)}</option>`)}</select>
    <button type="submit">${icon('check')} ${t('admin.set_role')}</button></form>
  <form method="post" action="${base}/flags" class="inline">${csrfField(ctx)}
    <label class="check"><input type="checkbox" name="trusted" value="true" ${m.trusted ? 'checked' : ''}> ${t('admin.trusted')}</label>
    <label class="check"><input type="checkbox" name="responder" value="true" ${m.responder ? 'checked' : ''}> ${t('admin.responder')}</label>
    <button type="submit">${icon('check')} ${t('admin.set_trusted')}</button></form>
  ${m.suspendedUntilDay
    ? html`<form method="post" action="${base}/unsuspend" class="inline">${csrfField(ctx)}<button type="submit">${t('mod.unsuspend')}</button></form>`
    : m.id === selfId || m.role !== 'member'
      ? ''
      : html`<details><summary>${t('mod.suspend')}</summary><form method="post" action="${base}/suspend" class="stack">${csrfField(ctx)}
    <p class="field"><label for="${id}-days">${t('mod.days')}</label><small id="${id}-days-hint">${t('mod.days_hint')}</small>
    <input id="${id}-days" name="days" type="number" min="1" max="3650" aria-describedby="${id}-days-hint"></p>
    <p class="field"><label for="${id}-reason">${t('mod.reason')}</label><input id="${id}-reason" name="reason" required minlength="3" maxlength="500"></p>
    <button type="submit" class="danger">${t('mod.suspend')}</button></form></details>`}
</li>`;
}

/**
 * The members: sign-ups waiting for approval, then everyone, searched by the start of a handle. Roles are chosen
 * from each member's own row, never typed as a handle; days are the finest time shown.
 */
export function membersPage(ctx: PageContext, data: MembersData, state?: { handle: string; form: FormState }): SafeHtml {
  const { t } = ctx;
  const problemOf = (handle: string) => (state && state.handle.toLowerCase() === handle.toLowerCase() ? state.form : undefined);
  const listError = state && !data.members.some((m) => m.handle.toLowerCase() === state.handle.toLowerCase()) ? state.form : undefined;
  return consolePage(
    ctx,
    'members',
    html`<section id="approvals" aria-labelledby="h-approvals">
<h2 id="h-approvals">${t('admin.approvals')}</h2>
${data.pending.length === 0 ? html`<p>${t('admin.no_pending')}</p>` : ''}
<ul class="list">${data.pending.map(
      (p) => html`<li><strong><bdi>${p.handle}</bdi></strong> · ${formatDay(ctx, p.createdAt)}<blockquote>${p.answer}</blockquote>
  <form method="post" action="/admin/approvals/${p.id}/approve" class="inline">${csrfField(ctx)}<button type="submit" class="primary">${icon('check')} ${t('admin.approve')}</button></form>
  <form method="post" action="/admin/approvals/${p.id}/refuse" class="inline">${csrfField(ctx)}<button type="submit">${icon('exit')} ${t('admin.refuse')}</button></form></li>`,
    )}</ul>
</section>
<section id="members" aria-labelledby="h-members">
<h2 id="h-members">${t('admin_console.members')}</h2>
<form method="get" action="/admin/members" class="filters" role="search">
  <label for="f-q">${t('admin_console.search_handle')}</label>
  <input id="f-q" name="q" value="${data.q}" maxlength="60" autocomplete="off">
  <button type="submit">${icon('search')} ${t('search.submit')}</button>
</form>
${errorBox(listError)}
${data.members.length === 0 ? html`<p>${t('admin_console.no_members')}</p>` : ''}
<ul class="list">${data.members.map((m) => memberItem(ctx, m, data.selfId, problemOf(m.handle)))}</ul>
${data.next ? html`<p><a href="/admin/members?${new URLSearchParams({ ...(data.q ? { q: data.q } : {}), after: data.next }).toString()}">${t('admin_console.more_members')}</a></p>` : ''}
<p><a href="/admin/reset-passphrase">${t('reset.title')}</a></p>
</section>`,
    data.done,
  );
}
