import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, icon, type FormState, type PageContext } from '../views/layout.js';
import type { DirectoryEntry } from '../rooms/view-models.js';
import type { RightsPageSummary } from '../rights/rights.service.js';
import type { AreaView } from '../areas/areas.service.js';
import { consolePage } from './console.views.js';

/** Rooms: how many there are, the listed ones by name (the others' names stay with their members), and how to start one. */
export function roomsPage(ctx: PageContext, data: { total: number; listed: readonly DirectoryEntry[] }): SafeHtml {
  const { t } = ctx;
  return consolePage(
    ctx,
    'rooms',
    html`<p>${t('admin_console.rooms_count', { total: data.total, listed: data.listed.length })}</p>
<p>${t('admin_console.rooms_private')}</p>
<p><a href="/rooms/new">${icon('plus')} ${t('rooms.create')}</a></p>
<ul class="list">${data.listed.map((r) => html`<li><a href="/rooms/${r.id}"><strong>${r.name}</strong></a>${r.description ? html`<br><small>${r.description}</small>` : ''}</li>`)}</ul>`,
  );
}

/** The rights pages (a placeholder is marked until someone writes it) and the resources directory. */
export function rightsPage(ctx: PageContext, data: { pages: readonly RightsPageSummary[]; resources: number }): SafeHtml {
  const { t } = ctx;
  return consolePage(
    ctx,
    'rights',
    html`<section aria-labelledby="h-rights-pages">
<h2 id="h-rights-pages">${t('rights.title')}</h2>
<ul class="list">${data.pages.map(
      (p) => html`<li><a href="/rights/${p.slug}"><strong>${p.title}</strong></a>${p.placeholder ? html` <span class="tag">${t('admin_console.placeholder')}</span>` : ''}
  <br><small>${t('rights.updated', { date: formatDay(ctx, p.updatedAt) })} · ${p.locales.join(', ')}</small>
  <br><a href="/rights/${p.slug}/edit">${icon('edit')} ${t('rights.edit')}</a></li>`,
    )}</ul>
<p><a href="/rights#new-page">${icon('plus')} ${t('rights.new_page')}</a></p>
</section>
<section aria-labelledby="h-resources">
<h2 id="h-resources">${t('resources.title')}</h2>
<p>${t('admin_console.resources_count', { count: data.resources })}</p>
<p><a href="/resources/manage">${icon('edit')} ${t('resources.manage')}</a></p>
</section>`,
  );
}

/** Areas (towns or districts) for reviews and alerts; removing one also ends every member's subscription to it. */
export function areasPage(ctx: PageContext, data: { areas: readonly AreaView[]; done?: string }, form?: FormState): SafeHtml {
  const { t } = ctx;
  return consolePage(
    ctx,
    'areas',
    html`<p>${t('admin.areas_explain')}</p>
${errorBox(form)}
<ul class="list">${data.areas.map(
      (a) => html`<li>${a.name} <form method="post" action="/admin/areas/${a.id}/delete" class="inline">${csrfField(ctx)}<button type="submit" class="danger">${icon('trash')} ${t('admin_console.area_delete')}</button></form></li>`,
    )}</ul>
<form method="post" action="/admin/areas" class="stack">
  ${csrfField(ctx)}
  ${field(form, { name: 'name', label: t('admin.area_name'), required: true, maxlength: 80 })}
  <button type="submit">${icon('plus')} ${t('admin.add_area')}</button>
</form>`,
    data.done,
  );
}
