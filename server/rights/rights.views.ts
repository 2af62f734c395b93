import { html, raw, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, icon, layout, ltrNumbers, type FormState, type PageContext } from '../views/layout.js';
import type { IconName } from '../views/icons.js';
import type { AreaView } from '../areas/areas.service.js';
import { resourceKinds, type ResourceKind } from './rights.collections.js';
import type { ResourceView, RightsPageSummary, RightsPageView } from './rights.service.js';
import { BODY_MAX, CONTACT_MAX, DESCRIPTION_MAX, HOURS_MAX, NAME_MAX, TITLE_MAX } from './rights.schemas.js';

const kindIcons: Record<ResourceKind, IconName> = {
  clinic: 'plus',
  hiv_testing: 'check',
  prep_art: 'plus',
  legal_aid: 'scales',
  hotline: 'chat',
  shelter: 'home',
  other: 'list',
};

/** A language's name in the reader's language ("Swahili", "斯瓦希里语"), or the tag itself. */
function languageName(ctx: PageContext, tag: string): string {
  try {
    return new Intl.DisplayNames([ctx.locale], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

const crumbs = (ctx: PageContext) => html`<nav class="crumbs"><a href="/rights">${icon('scales')} ${ctx.t('rights.title')}</a></nav>`;

const resourcesLink = (ctx: PageContext) => html`<p><a class="button primary" href="/resources">${icon('home')} ${ctx.t('resources.link')}</a></p>`;

function bodyField(ctx: PageContext, state: FormState | undefined, value: string): SafeHtml {
  const problem = state?.fieldErrors?.body;
  return html`<p class="field${problem ? ' invalid' : ''}"><label for="f-body">${ctx.t('rights.page_body')}</label>
<small id="f-body-hint">${ctx.t('post.markdown_hint')}</small>
<textarea id="f-body" name="body" rows="16" maxlength="${BODY_MAX}" required aria-describedby="f-body-hint" ${problem ? 'aria-invalid="true"' : ''}>${state?.values?.body ?? value}</textarea>
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>`;
}

function localeSelect(ctx: PageContext, state: FormState | undefined, chosen: string): SafeHtml {
  const value = state?.values?.locale ?? chosen;
  const problem = state?.fieldErrors?.locale;
  return html`<p class="field${problem ? ' invalid' : ''}"><label for="f-locale">${ctx.t('rights.page_language')}</label>
<select id="f-locale" name="locale">${ctx.languages.map((l) => html`<option value="${l.tag}" ${l.tag === value ? 'selected' : ''}>${l.name}</option>`)}</select>
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>`;
}

export function rightsIndexPage(ctx: PageContext, data: { pages: readonly RightsPageSummary[]; canEdit: boolean }, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('rights.title'),
    body: html`<h1>${icon('scales')} ${t('rights.title')}</h1>
<p class="lead">${t('rights.intro')}</p>
${data.pages.length === 0 ? html`<p>${t('rights.none')}</p>` : ''}
<ul class="boards">${data.pages.map(
      (p) => html`<li><a href="/rights/${p.slug}"><strong><bdi lang="${p.locale}">${p.title}</bdi></strong></a>${p.placeholder ? html` <span class="tag">${t('rights.placeholder')}</span>` : ''}${p.locale === ctx.locale ? '' : html` <small>(${languageName(ctx, p.locale)})</small>`}</li>`,
    )}</ul>
${resourcesLink(ctx)}
${data.canEdit
  ? html`<details id="new-page" class="card" ${state ? 'open' : ''}><summary>${icon('plus')} ${t('rights.new_page')}</summary>
${errorBox(state)}
<form method="post" action="/rights" class="stack">
${csrfField(ctx)}
${field(state, { name: 'slug', label: t('rights.slug'), hint: t('rights.slug_hint'), required: true, maxlength: 60 })}
${localeSelect(ctx, state, ctx.locale)}
${field(state, { name: 'title', label: t('rights.page_title'), required: true, maxlength: TITLE_MAX })}
${bodyField(ctx, state, '')}
<button type="submit" class="primary">${icon('check')} ${t('settings.save')}</button>
</form></details>`
  : ''}`,
  });
}

export function rightsPage(ctx: PageContext, page: RightsPageView, canEdit: boolean): SafeHtml {
  const { t } = ctx;
  const others = page.locales.filter((l) => l !== page.locale);
  const missing = ctx.languages.filter((l) => !page.locales.includes(l.tag));
  return layout(ctx, {
    title: page.title,
    body: html`${crumbs(ctx)}
<article lang="${page.locale}">
<h1 dir="auto">${page.title}</h1>
${page.placeholder ? html`<p class="notice">${t('rights.placeholder_notice')}</p>` : ''}
${page.locale === ctx.locale ? '' : html`<p class="notice" lang="${ctx.locale}">${t('rights.other_language')}</p>`}
<div class="body${page.placeholder ? ' placeholder' : ''}" dir="auto">${raw(page.html)}</div>
</article>
<p><small>${t('rights.updated', { date: formatDay(ctx, page.updatedAt) })}</small></p>
${others.length
  ? html`<p>${icon('globe')} ${t('rights.other_languages')} ${others.map((l) => html`<a href="/rights/${page.slug}?locale=${l}" lang="${l}">${languageName(ctx, l)}</a> `)}</p>`
  : ''}
${canEdit
  ? html`<p class="actions"><a href="/rights/${page.slug}/edit?locale=${page.locale}">${icon('edit')} ${t('rights.edit')}</a>
${missing.map((l) => html`<a href="/rights/${page.slug}/edit?locale=${l.tag}">${icon('plus')} ${t('rights.write_in', { language: l.name })}</a>`)}</p>`
  : ''}
${resourcesLink(ctx)}`,
  });
}

export function rightsEditPage(ctx: PageContext, slug: string, locale: string, version: RightsPageView | null, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('rights.edit'),
    body: html`${crumbs(ctx)}
<h1>${icon('edit')} ${version?.title ?? slug}</h1>
${errorBox(state)}
<form method="post" action="/rights/${slug}/edit" class="stack">
${csrfField(ctx)}
${localeSelect(ctx, state, locale)}
${field(state, { name: 'title', label: t('rights.page_title'), required: true, maxlength: TITLE_MAX, value: version?.title ?? '' })}
${bodyField(ctx, state, version?.body ?? '')}
<button type="submit" class="primary">${icon('check')} ${t('settings.save')}</button>
</form>
${version
  ? html`<form method="post" action="/rights/${slug}/delete" class="stack">${csrfField(ctx)}<input type="hidden" name="locale" value="${locale}">
<button type="submit" class="danger">${icon('trash')} ${t('rights.delete')}</button></form>`
  : ''}
<p><a href="/rights/${slug}">${t('post.back')}</a></p>`,
  });
}

function resourceItem(ctx: PageContext, r: ResourceView): SafeHtml {
  const { t } = ctx;
  return html`<li id="r-${r.id}" lang="${r.language}"><h3>${icon(kindIcons[r.kind])} ${r.name}</h3>
<p lang="${ctx.locale}"><span class="tag">${t(`resources.kind_${r.kind}`)}</span> <span class="tag">${r.area?.name ?? t('resources.everywhere')}</span> <span class="tag">${languageName(ctx, r.language)}</span>${r.placeholder ? html` <span class="tag">${t('rights.placeholder')}</span>` : ''}</p>
${r.hours ? html`<p><strong lang="${ctx.locale}">${t('resources.hours')}:</strong> ${r.hours}</p>` : ''}
${r.contact ? html`<p><strong lang="${ctx.locale}">${t('resources.contact')}:</strong> <bdi>${ltrNumbers(r.contact)}</bdi></p>` : ''}
${r.description ? html`<p>${r.description}</p>` : ''}</li>`;
}

export interface ResourcesData {
  readonly resources: readonly ResourceView[];
  readonly areas: readonly AreaView[];
  readonly filter: { readonly kind: string; readonly area: string };
  readonly canEdit: boolean;
}

export function resourcesPage(ctx: PageContext, data: ResourcesData, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('resources.title'),
    body: html`${crumbs(ctx)}
<h1>${icon('home')} ${t('resources.title')}</h1>
<p>${t('resources.intro')}</p>
${errorBox(state)}
<form method="get" action="/resources" class="filters">
<label>${t('resources.kind')}<select name="kind"><option value="">${t('resources.all_kinds')}</option>${resourceKinds.map(
      (k) => html`<option value="${k}" ${data.filter.kind === k ? 'selected' : ''}>${t(`resources.kind_${k}`)}</option>`,
    )}</select></label>
${data.areas.length
  ? html`<label>${t('resources.area')}<select name="area"><option value="">${t('resources.all_areas')}</option>${data.areas.map(
      (a) => html`<option value="${a.id}" ${data.filter.area === a.id ? 'selected' : ''}>${a.name}</option>`,
    )}</select></label>`
  : ''}
<button type="submit">${icon('search')} ${t('resources.show')}</button>
</form>
${data.resources.length === 0 ? html`<p>${t('resources.none')}</p>` : ''}
<ul class="resources">${data.resources.map((r) => resourceItem(ctx, r))}</ul>
${data.canEdit ? html`<p><a href="/resources/manage">${icon('edit')} ${t('resources.manage')}</a></p>` : ''}`,
  });
}

/** The form fields of one resource; `prefix` keeps element ids unique when a page holds several forms. */
function resourceFields(ctx: PageContext, prefix: string, areas: readonly AreaView[], r: ResourceView | null, state?: FormState): SafeHtml {
  const { t } = ctx;
  const value = (name: string, fallback: string) => state?.values?.[name] ?? fallback;
  const text = (name: string, label: string, max: number, fallback: string, options: { required?: boolean; hint?: string; multiline?: boolean } = {}) => {
    const id = `${prefix}-${name}`;
    const problem = state?.fieldErrors?.[name];
    const described = options.hint ? html`aria-describedby="${id}-hint"` : '';
    return html`<p class="field${problem ? ' invalid' : ''}"><label for="${id}">${label}</label>
${options.hint ? html`<small id="${id}-hint">${options.hint}</small>` : ''}
${options.multiline
  ? html`<textarea id="${id}" name="${name}" rows="3" maxlength="${max}" ${described} ${problem ? 'aria-invalid="true"' : ''}>${value(name, fallback)}</textarea>`
  : html`<input id="${id}" name="${name}" value="${value(name, fallback)}" maxlength="${max}" ${options.required ? 'required' : ''} ${described} ${problem ? 'aria-invalid="true"' : ''}>`}
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>`;
  };
  const select = (name: string, label: string, options: readonly { value: string; label: string }[], fallback: string) => {
    const chosen = value(name, fallback);
    const problem = state?.fieldErrors?.[name];
    return html`<p class="field${problem ? ' invalid' : ''}"><label for="${prefix}-${name}">${label}</label>
<select id="${prefix}-${name}" name="${name}">${options.map((o) => html`<option value="${o.value}" ${o.value === chosen ? 'selected' : ''}>${o.label}</option>`)}</select>
${problem ? html`<span class="problem">${problem}</span>` : ''}</p>`;
  };
  return html`${text('name', t('resources.name'), NAME_MAX, r?.name ?? '', { required: true })}
${select('kind', t('resources.kind'), resourceKinds.map((k) => ({ value: k, label: t(`resources.kind_${k}`) })), r?.kind ?? 'clinic')}
${select('area', t('resources.area'), [{ value: '', label: t('resources.everywhere') }, ...areas.map((a) => ({ value: a.id, label: a.name }))], r?.area?.id ?? '')}
${text('hours', t('resources.hours'), HOURS_MAX, r?.hours ?? '')}
${text('contact', t('resources.contact'), CONTACT_MAX, r?.contact ?? '', { hint: t('resources.contact_hint') })}
${text('description', t('resources.description'), DESCRIPTION_MAX, r?.description ?? '', { multiline: true })}
${text('language', t('resources.language'), 35, r?.language ?? '', { hint: t('resources.language_hint') })}`;
}

export interface ManageResourcesData {
  readonly resources: readonly ResourceView[];
  readonly areas: readonly AreaView[];
}

/** `section` is "new" for the add form, else the id of the resource whose form failed. */
export function manageResourcesPage(ctx: PageContext, data: ManageResourcesData, state?: { section: string; form: FormState }): SafeHtml {
  const { t } = ctx;
  const s = (section: string) => (state?.section === section ? state.form : undefined);
  return layout(ctx, {
    title: t('resources.manage'),
    body: html`<nav class="crumbs"><a href="/resources">${icon('home')} ${t('resources.title')}</a></nav>
<h1>${icon('edit')} ${t('resources.manage')}</h1>
<section id="new" aria-labelledby="h-new"><h2 id="h-new">${icon('plus')} ${t('resources.add')}</h2>
${errorBox(s('new'))}
<form method="post" action="/resources/manage" class="stack">
${csrfField(ctx)}
${resourceFields(ctx, 'new', data.areas, null, s('new'))}
<button type="submit" class="primary">${icon('plus')} ${t('resources.add')}</button>
</form></section>
<section aria-labelledby="h-list"><h2 id="h-list">${icon('list')} ${t('resources.title')}</h2>
${data.resources.length === 0 ? html`<p>${t('resources.none')}</p>` : ''}
${data.resources.map(
      (r) => html`<details id="r-${r.id}" class="card" ${s(r.id) ? 'open' : ''}><summary>${icon(kindIcons[r.kind])} ${r.name}${r.placeholder ? html` <span class="tag">${t('rights.placeholder')}</span>` : ''}</summary>
${errorBox(s(r.id))}
<form method="post" action="/resources/manage/${r.id}" class="stack">
${csrfField(ctx)}
${resourceFields(ctx, `r-${r.id}`, data.areas, r, s(r.id))}
<button type="submit">${icon('check')} ${t('settings.save')}</button>
</form>
<form method="post" action="/resources/manage/${r.id}/delete" class="stack">${csrfField(ctx)}
<button type="submit" class="danger">${icon('trash')} ${t('resources.delete')}</button></form></details>`,
    )}
</section>`,
  });
}
