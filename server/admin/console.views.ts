import { html, type HtmlValue, type SafeHtml } from '../views/html.js';
import { icon, layout, type PageContext } from '../views/layout.js';
import type { IconName } from '../views/icons.js';
import type { ChecklistStep } from './console.service.js';

export type ConsoleSection = 'home' | 'members' | 'boards' | 'rooms' | 'rights' | 'areas' | 'network' | 'storage' | 'health';

const SECTIONS: readonly { readonly id: ConsoleSection; readonly href: string; readonly icon: IconName }[] = [
  { id: 'home', href: '/admin', icon: 'check' },
  { id: 'members', href: '/admin/members', icon: 'user' },
  { id: 'boards', href: '/admin/boards', icon: 'list' },
  { id: 'rooms', href: '/admin/rooms', icon: 'chat' },
  { id: 'rights', href: '/admin/rights', icon: 'scales' },
  { id: 'areas', href: '/admin/areas', icon: 'pin' },
  { id: 'network', href: '/admin/network', icon: 'globe' },
  { id: 'storage', href: '/admin/storage', icon: 'lock' },
  { id: 'health', href: '/admin/health', icon: 'shield' },
];

/** The console's sections, one link each, wrapping on a phone; the current one is marked for screen readers too. */
export function consoleNav(ctx: PageContext, current: ConsoleSection): SafeHtml {
  const { t } = ctx;
  return html`<nav aria-label="${t('admin_console.sections')}" class="tabs">${SECTIONS.map(
    (s) => html`<a href="${s.href}"${s.id === current ? html` aria-current="page"` : ''}>${icon(s.icon)} ${t(`admin_console.section_${s.id}`)}</a>`,
  )}</nav>`;
}

/** A console page: its title, the sections, what was just done, then the section's own content. */
export function consolePage(ctx: PageContext, section: ConsoleSection, body: HtmlValue, done?: string): SafeHtml {
  const { t } = ctx;
  const title = t(`admin_console.section_${section}`);
  return layout(ctx, {
    title,
    body: html`<h1>${icon('shield')} ${section === 'home' ? t('admin.title') : title}</h1>
${consoleNav(ctx, section)}
${done ? html`<p class="success" role="status">${icon('check')} ${done}</p>` : ''}
${body}`,
  });
}

/** The first steps after setup, each done or not from the instance's state, each linking to where it is done. */
export function checklistSection(ctx: PageContext, steps: readonly ChecklistStep[]): SafeHtml {
  const { t } = ctx;
  const left = steps.filter((s) => !s.done).length;
  return html`<section id="first-steps" aria-labelledby="h-first-steps">
<h2 id="h-first-steps">${t('admin_console.first_steps')}</h2>
<p>${left === 0 ? t('admin_console.all_done') : t('admin_console.steps_left', { count: left })}</p>
<ol class="list checklist">${steps.map(
    (s) => html`<li data-step="${s.id}" data-done="${String(s.done)}"><span class="tag">${s.done ? html`${icon('check')} ${t('admin_console.step_done')}` : t('admin_console.step_todo')}</span>
  <a href="${s.href}">${t(`admin_console.step_${s.id}`)}</a></li>`,
  )}</ol>
</section>`;
}

/** A size in bytes as people read it, in the page's language (the unit's name comes from Intl). */
export function formatBytes(ctx: PageContext, bytes: number): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(ctx.locale, { style: 'unit', unit: units[unit], unitDisplay: 'short', maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
}

/** A day given as YYYY-MM-DD, in the page's language (noon UTC, so no time zone moves it to another day). */
export const dayNoon = (day: string): number => Date.parse(`${day}T12:00:00Z`);
