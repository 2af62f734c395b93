import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, formatDay, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import type { PendingView } from '../accounts/accounts.service.js';
import { modNav } from './moderation.views.js';

/** Sign-ups waiting for approval, for the instance's moderators as for its admins (whose console lists them too). */
export function approvalsPage(ctx: PageContext, pending: readonly PendingView[], done?: string, form?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('admin.approvals'),
    body: html`<h1>${icon('user')} ${t('admin.approvals')}</h1>
${modNav(ctx)}
${done ? html`<p class="notice" role="status">${done}</p>` : ''}
${errorBox(form)}
${pending.length === 0 ? html`<p>${t('admin.no_pending')}</p>` : ''}
<ul class="list">${pending.map(
      (p) => html`<li><strong><bdi>${p.handle}</bdi></strong> · ${formatDay(ctx, p.createdAt)}<blockquote>${p.answer}</blockquote>
  <form method="post" action="/mod/approvals/${p.id}/approve" class="inline">${csrfField(ctx)}<button type="submit" class="primary">${icon('check')} ${t('admin.approve')}</button></form>
  <form method="post" action="/mod/approvals/${p.id}/refuse" class="inline">${csrfField(ctx)}<button type="submit">${icon('exit')} ${t('admin.refuse')}</button></form></li>`,
    )}</ul>`,
  });
}
