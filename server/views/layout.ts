import type { Request } from 'express';
import type { MessageParams } from '../http/errors.js';
import type { I18n } from '../i18n/i18n.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

/** What every page needs to know about the request, taken once from it. */
export interface PageContext {
  readonly t: (key: string, params?: MessageParams) => string;
  readonly locale: string;
  readonly dir: 'ltr' | 'rtl';
  readonly csrfToken: string;
  readonly path: string;
  readonly instanceName: string;
  readonly account: { readonly handle: string; readonly role: string; readonly status: string; readonly suspendedUntil: number | null } | null;
  readonly languages: readonly { readonly tag: string; readonly name: string }[];
}

export function pageContext(req: Request, i18n: I18n, instanceName: string): PageContext {
  return {
    t: req.t,
    locale: req.locale,
    dir: i18n.meta(req.locale).dir,
    csrfToken: req.csrfToken,
    path: req.originalUrl,
    instanceName,
    account: req.account
      ? {
          handle: req.account.handle,
          role: req.account.role,
          status: req.account.status,
          suspendedUntil: (req.account.suspendedUntil ?? 0) > Date.now() ? req.account.suspendedUntil! : null,
        }
      : null,
    languages: i18n.locales.map((tag) => ({ tag, name: i18n.meta(tag).name })),
  };
}

/** Inline SVG icons (no icon font, nothing fetched): shown next to words for readers who rely on pictures. */
const icons = {
  home: 'M3 11l9-8 9 8v10h-6v-6H9v6H3z',
  user: 'M12 12a5 5 0 100-10 5 5 0 000 10zm-8 10a8 8 0 0116 0z',
  login: 'M10 17l5-5-5-5v3H2v4h8zm4-14h6v18h-6v-2h4V5h-4z',
  logout: 'M14 17l5-5-5-5v3H7v4h7zM4 3h7v2H6v14h5v2H4z',
  settings: 'M12 8a4 4 0 100 8 4 4 0 000-8zm9 4l-2-1 1-3-3-1-1-3-3 1-1-2h-2l-1 2-3-1-1 3-3 1 1 3-2 1v2l2 1-1 3 3 1 1 3 3-1 1 2h2l1-2 3 1 1-3 3-1-1-3 2-1z',
  shield: 'M12 2l8 3v6c0 5-3.5 9.5-8 11-4.5-1.5-8-6-8-11V5z',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z',
  exit: 'M6 6l12 12M18 6L6 18',
  globe: 'M12 2a10 10 0 100 20 10 10 0 000-20zm0 2c1.5 2 2.3 4.7 2.4 7H9.6C9.7 8.7 10.5 6 12 4zM4.1 13h3.5c.1 2.1.7 4.2 1.6 5.9A8 8 0 014.1 13zm0-2a8 8 0 015.1-5.9C8.3 6.8 7.7 8.9 7.6 11zm10.7 7.9c.9-1.7 1.5-3.8 1.6-5.9h3.5a8 8 0 01-5.1 5.9zM16.4 11c-.1-2.1-.7-4.2-1.6-5.9A8 8 0 0119.9 11z',
  key: 'M7 14a3 3 0 110-6 3 3 0 010 6zm5-4a5 5 0 10 0 4h3v3h3v-3h2v-4z',
  check: 'M9 16.2l-4.2-4.2L3.4 13.4 9 19 21 7l-1.4-1.4z',
  reply: 'M10 9V5l-7 7 7 7v-4c5 0 8.5 1.6 11 5-1-5-4-10-11-11z',
  flag: 'M5 3h2v18H5zm3 1h10l-2 4 2 4H8z',
  edit: 'M3 17.2V21h3.8l11-11-3.8-3.8zM20.7 7a1 1 0 000-1.4l-2.3-2.3a1 1 0 00-1.4 0l-1.8 1.8 3.8 3.8z',
  trash: 'M6 7h12l-1 14H7zm3-4h6l1 2h4v2H4V5h4z',
  search: 'M10 2a8 8 0 016.3 12.9l5.4 5.4-1.4 1.4-5.4-5.4A8 8 0 1110 2zm0 2a6 6 0 100 12 6 6 0 000-12z',
  pin: 'M14 2l8 8-3 1-4 4 1 5-2 2-4-6-5 6-1-1 6-5-6-4 2-2 5 1 4-4z',
  lock: 'M12 2a5 5 0 015 5v3h2v12H5V10h2V7a5 5 0 015-5zm0 2a3 3 0 00-3 3v3h6V7a3 3 0 00-3-3z',
  chat: 'M4 3h16a2 2 0 012 2v11a2 2 0 01-2 2H8l-5 4V5a2 2 0 012-2z',
  list: 'M4 5h2v2H4zm4 0h12v2H8zM4 11h2v2H4zm4 0h12v2H8zm-4 6h2v2H4zm4 0h12v2H8z',
} as const;

export type IconName = keyof typeof icons;

export function icon(name: IconName): SafeHtml {
  return html`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="${icons[name]}"/></svg>`;
}

export function formatDay(ctx: PageContext, ms: number): string {
  return new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'medium' }).format(ms);
}

export function formatTime(ctx: PageContext, ms: number): string {
  return new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

export interface PageOptions {
  readonly title: string;
  readonly body: HtmlValue;
  /** Extra scripts from /assets, loaded deferred. */
  readonly scripts?: readonly string[];
}

export function layout(ctx: PageContext, options: PageOptions): SafeHtml {
  const { t } = ctx;
  const account = ctx.account;
  return html`<!doctype html>
<html lang="${ctx.locale}" dir="${ctx.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · ${ctx.instanceName}</title>
<link rel="stylesheet" href="/assets/parasol.css">
${(options.scripts ?? []).map((s) => html`<script src="/assets/${s}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">${t('layout.skip')}</a>
<header class="top">
  <a class="brand" href="/">${icon('home')}<span>${ctx.instanceName}</span></a>
  <nav aria-label="${t('layout.nav')}">
    ${account
      ? html`<a href="/search">${icon('search')}<span>${t('nav.search')}</span></a>
        <a href="/settings">${icon('settings')}<span>${account.handle}</span></a>
        ${account.role === 'admin' || account.role === 'moderator'
          ? html`<a href="/mod">${icon('flag')}<span>${t('nav.moderation')}</span></a><a href="/admin">${icon('shield')}<span>${t('nav.admin')}</span></a>`
          : ''}
        <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrfToken}"><button type="submit" class="link">${icon('logout')}<span>${t('nav.logout')}</span></button></form>`
      : html`<a href="/search">${icon('search')}<span>${t('nav.search')}</span></a>
        <a href="/login">${icon('login')}<span>${t('nav.login')}</span></a>
        <a href="/signup">${icon('user')}<span>${t('nav.signup')}</span></a>`}
  </nav>
</header>
${account?.status === 'pending' ? html`<p class="notice" role="status">${t('account.pending_notice')}</p>` : ''}
${account?.suspendedUntil ? html`<p class="notice" role="status">${t('account.suspended_notice', { until: formatDay(ctx, account.suspendedUntil) })}</p>` : ''}
<main id="main">
${options.body}
</main>
<footer>
  <form method="get" action="/language" class="inline">
    <input type="hidden" name="back" value="${ctx.path}">
    <label>${icon('globe')}<span class="visually-hidden">${t('layout.language')}</span>
    <select name="l">${ctx.languages.map((l) => html`<option value="${l.tag}" ${l.tag === ctx.locale ? 'selected' : ''}>${l.name}</option>`)}</select></label>
    <button type="submit">${t('layout.language_go')}</button>
  </form>
</footer>
</body>
</html>`;
}

/** Shows a form error and each field's problem next to it. */
export interface FormState {
  readonly values?: Readonly<Record<string, string>>;
  readonly error?: string;
  readonly fieldErrors?: Readonly<Record<string, string>>;
}

export function errorBox(state: FormState | undefined): SafeHtml {
  return state?.error ? html`<p class="error" role="alert">${state.error}</p>` : html``;
}

export function field(
  state: FormState | undefined,
  options: { name: string; label: string; type?: string; hint?: string; autocomplete?: string; required?: boolean; maxlength?: number; value?: string },
): SafeHtml {
  const problem = state?.fieldErrors?.[options.name];
  const id = `f-${options.name}`;
  const value = options.type === 'password' ? '' : (state?.values?.[options.name] ?? options.value ?? '');
  return html`<p class="field${problem ? ' invalid' : ''}">
  <label for="${id}">${options.label}</label>
  ${options.hint ? html`<small id="${id}-hint">${options.hint}</small>` : ''}
  <input id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${value}"
    ${options.autocomplete ? html`autocomplete="${options.autocomplete}"` : ''} ${options.required ? 'required' : ''}
    ${options.maxlength ? html`maxlength="${options.maxlength}"` : ''}
    ${options.hint ? html`aria-describedby="${id}-hint"` : ''} ${problem ? 'aria-invalid="true"' : ''}>
  ${problem ? html`<span class="problem">${problem}</span>` : ''}
</p>`;
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
}
