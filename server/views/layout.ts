import type { Request } from 'express';
import type { MessageParams } from '../core/errors.js';
import type { I18n } from '../i18n/i18n.js';
import * as format from '../i18n/format.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';
import type { IconName } from './icons.js';

/**
 * How the site shows itself on one request, decided by the instance module (discreet mode, offered languages), so
 * that the views need nothing of it.
 */
export interface PageSite {
  readonly name: string;
  readonly discreet: boolean;
  /** Every page titled with the site's name alone (discreet titles). */
  readonly genericTitles: boolean;
  /** Path of the favicon under /assets. */
  readonly icon: string;
  readonly quickExitUrl: string;
  readonly offeredLocales: readonly string[];
  /** ISO 3166 code of the instance's country: phone numbers without "+" are read as its numbers. */
  readonly country: string;
}

/** What every page needs to know about the request, taken once from it. */
export interface PageContext {
  readonly t: (key: string, params?: MessageParams) => string;
  readonly locale: string;
  readonly dir: 'ltr' | 'rtl';
  readonly csrfToken: string;
  readonly path: string;
  /** The site name to show this person: the neutral name in discreet mode. */
  readonly instanceName: string;
  /** Neutral title and favicon (see server/instance/discreet.ts). */
  readonly discreet: boolean;
  /** The site's name as the title of every page, so that the browser's history shows nothing of what was read. */
  readonly genericTitles: boolean;
  /** Path of the favicon under /assets: the neutral one in discreet mode. */
  readonly favicon: string;
  /** Where the quick-exit button leads. */
  readonly quickExitUrl: string;
  /** ISO 3166 code of the instance's country, which phone fields offer for numbers without "+". */
  readonly country: string;
  readonly account: { readonly id: string; readonly handle: string; readonly role: string; readonly status: string; readonly suspendedUntil: number | null } | null;
  readonly languages: readonly { readonly tag: string; readonly name: string }[];
  readonly unseenNotifications: number;
  /** Private conversations with something new, shown next to the header's link to them. */
  readonly unreadMessages: number;
}

export function pageContext(req: Request, i18n: I18n, site: PageSite): PageContext {
  return {
    t: req.t,
    locale: req.locale,
    dir: i18n.meta(req.locale).dir,
    csrfToken: req.csrfToken,
    path: req.originalUrl,
    instanceName: site.name,
    discreet: site.discreet,
    genericTitles: site.genericTitles,
    favicon: site.icon,
    quickExitUrl: site.quickExitUrl,
    country: site.country,
    account: req.account
      ? {
          id: req.account.id,
          handle: req.account.handle,
          role: req.account.role,
          status: req.account.status,
          suspendedUntil: (req.account.suspendedUntil ?? 0) > Date.now() ? req.account.suspendedUntil! : null,
        }
      : null,
    languages: site.offeredLocales.map((tag) => ({ tag, name: i18n.meta(tag).name })),
    unseenNotifications: req.unseenNotifications ?? 0,
    unreadMessages: req.unreadMessages ?? 0,
  };
}

export function icon(name: IconName): SafeHtml {
  return html`<svg class="icon" aria-hidden="true" focusable="false"><use href="/assets/icons.svg#${name}"/></svg>`;
}

export function formatDay(ctx: PageContext, ms: number): string {
  return format.formatDay(ctx.locale, ms);
}

export function formatTime(ctx: PageContext, ms: number): string {
  return format.formatTime(ctx.locale, ms);
}

/** How long ago or ahead a moment is ("in 2 hours", "yesterday"), as of `now`. */
export function formatRelative(ctx: PageContext, ms: number, now: number = Date.now()): string {
  return format.formatRelative(ctx.locale, ms, now);
}

export function formatDuration(ctx: PageContext, minutes: number): string {
  return format.formatDuration(ctx.locale, minutes);
}

export function formatNumber(ctx: PageContext, value: number): string {
  return format.formatNumber(ctx.locale, value);
}

/** Page scripts built on a shared one, which a page naming them loads just before them. */
const BUILT_ON: Readonly<Record<string, string>> = {
  // The live list of messages: catching up, sending, ending.
  'room.js': 'message-list.js',
  'conversation.js': 'message-list.js',
};

/** Signed-in members get live buddy alerts on every page; the socket.io client is shared with the page's own scripts. */
function pageScripts(ctx: PageContext, own: readonly string[]): string[] {
  const scripts = [...own];
  if (ctx.account?.status === 'active') {
    if (!scripts.includes('vendor/socket.io.min.js')) scripts.unshift('vendor/socket.io.min.js');
    scripts.push('buddy-alarm.js');
  }
  // Every page script that speaks socket.io opens its connection through client/socket.js.
  const io = scripts.indexOf('vendor/socket.io.min.js');
  if (io >= 0 && !scripts.includes('socket.js')) scripts.splice(io + 1, 0, 'socket.js');
  for (const [script, base] of Object.entries(BUILT_ON)) {
    const at = scripts.indexOf(script);
    if (at >= 0 && !scripts.includes(base)) scripts.splice(at, 0, base);
  }
  return scripts;
}

/**
 * Text that reads left to right whatever the page's direction (a phone number, "+20"), for a message parameter: the
 * Unicode isolates do in plain text what <bdi dir="ltr"> does in markup, so that an Arabic page shows "+20 100 123 4567"
 * in its order instead of moving the "+" to the end.
 */
export function ltr(text: string): string {
  return `\u2066${text}\u2069`;
}

// A phone number as people write it: an optional "+", then digits in groups split by spaces, dots, dashes or brackets.
const PHONE_LIKE = /\+?\(?\d[\d \t().-]{4,}\d/g;

/**
 * Plain text in which every phone number keeps its order on a right-to-left page: an Arabic sentence around
 * "+20 100 123 4567" would otherwise show the digit groups from right to left and the "+" at the far end.
 */
export function ltrNumbers(text: string): string {
  return text.replace(PHONE_LIKE, (number) => ltr(number));
}

/** One of the main places in the compact header: an icon above a short label. */
function place(href: string, name: IconName, label: string): SafeHtml {
  return html`<a href="${href}">${icon(name)}<span>${label}</span></a>`;
}

export interface PageOptions {
  readonly title: string;
  readonly body: HtmlValue;
  /** Extra scripts from /assets, loaded deferred. */
  readonly scripts?: readonly string[];
  /** Extra elements for the <head>, e.g. a <noscript> refresh on a live page. */
  readonly head?: SafeHtml;
}

export function layout(ctx: PageContext, options: PageOptions): SafeHtml {
  const { t } = ctx;
  const account = ctx.account;
  // In discreet mode a live banner says no more than a push notification on the lock screen: that there is something.
  const alertText = (key: string) => (ctx.discreet ? t('notification.banner', { count: 1 }) : t(key));
  return html`<!doctype html>
<html lang="${ctx.locale}" dir="${ctx.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${ctx.discreet || ctx.genericTitles ? ctx.instanceName : `${options.title} · ${ctx.instanceName}`}</title>
<link rel="icon" href="${ctx.favicon}" type="image/svg+xml">
<link rel="manifest" href="/manifest.webmanifest" crossorigin="use-credentials">
<meta name="theme-color" content="#7a3e9d">
<link rel="stylesheet" href="/assets/parasol.css">
<script src="/assets/safety.js" defer></script>
<script src="/assets/offline.js" defer></script>
${pageScripts(ctx, options.scripts ?? []).map((s) => html`<script src="/assets/${s}" defer></script>`)}
${options.head ?? ''}
</head>
<body${ctx.account?.status === 'active' ? html` data-account="${ctx.account.id}" data-alert-sos="${alertText('notification.buddy_sos')}" data-alert-overdue="${alertText('notification.buddy_overdue')}" data-alert-notification="${t('notification.banner', { count: 1 })}"` : ''}>
<p id="live-alert" class="live-alert" role="alert" hidden></p>
<p id="offline-notice" class="notice offline" role="status" hidden data-offline="${t('offline.notice')}" data-queued="${t('offline.queued')}" data-restored="${t('offline.restored')}"></p>
<aside aria-label="${t('layout.quick_exit')}"><a id="quick-exit" class="quick-exit" href="${ctx.quickExitUrl}" rel="noreferrer" data-exit-url="${ctx.quickExitUrl}" title="${t('layout.quick_exit_hint')}">${icon('door')}<span>${t('layout.quick_exit')}</span></a></aside>
<header class="top">
  <a class="skip" href="#main">${t('layout.skip')}</a>
  <a class="brand" href="/">${icon('home')}<bdi>${ctx.instanceName}</bdi></a>
  <nav aria-label="${t('layout.nav')}" class="places">
    ${account
      ? html`${place('/rooms', 'chat', t('nav.rooms'))}${place('/reviews', 'search', t('nav.screening'))}${place('/safety', 'shield', t('nav.safety'))}${place('/search', 'search', t('nav.search'))}
        <details class="menu"><summary>${icon('list')}<span>${t('layout.menu')}${ctx.unreadMessages > 0 ? html` <span class="tag">${ctx.unreadMessages}</span>` : ''}</span></summary>
        <div class="menu-items">
        <a href="/rights">${icon('scales')}<span>${t('nav.rights')}</span></a>
        <a href="/conversations">${icon('chat')}<span>${t('conversations.nav')}${ctx.unreadMessages > 0 ? html` <span class="tag">${ctx.unreadMessages}</span>` : ''}</span></a>
        <a href="/notifications">${icon('flag')}<span>${t('notification.title')}</span></a>
        <a href="/settings">${icon('settings')}<bdi>${account.handle}</bdi></a>
        ${account.role === 'admin' || account.role === 'moderator' ? html`<a href="/mod">${icon('flag')}<span>${t('nav.moderation')}</span></a>` : ''}
        ${account.role === 'admin' ? html`<a href="/admin">${icon('shield')}<span>${t('nav.admin')}</span></a>` : ''}
        <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrfToken}"><button type="submit" class="link">${icon('logout')}<span>${t('nav.logout')}</span></button></form>
        </div></details>`
      : html`${place('/search', 'search', t('nav.search'))}${place('/rights', 'scales', t('nav.rights'))}${place('/login', 'login', t('nav.login'))}${place('/signup', 'user', t('nav.signup'))}`}
  </nav>
</header>
${ctx.unseenNotifications > 0 ? html`<p class="notice" role="status"><a href="/notifications">${icon('flag')} ${t('notification.banner', { count: ctx.unseenNotifications })}</a></p>` : ''}
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

/** An error summary at the top of the form (each problem is also shown at its field). */
export function errorBox(state: FormState | undefined): SafeHtml {
  if (!state?.error) return html``;
  const problems = Object.values(state.fieldErrors ?? {});
  return html`<div class="error" role="alert"><p>${state.error}</p>${problems.length ? html`<ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}</div>`;
}

export function field(
  state: FormState | undefined,
  options: {
    name: string;
    label: string;
    type?: string;
    hint?: string;
    autocomplete?: string;
    required?: boolean;
    maxlength?: number;
    value?: string;
    /** Checked by the browser before the form is sent (an HTML pattern); `title` is what it says when it fails. */
    pattern?: { readonly regex: string; readonly title: string };
    /** Text in another direction than the page's (a phone number on an Arabic page), or "auto" for the person's own. */
    dir?: 'ltr' | 'auto';
  },
): SafeHtml {
  const problem = state?.fieldErrors?.[options.name];
  const id = `f-${options.name}`;
  const value = options.type === 'password' ? '' : (state?.values?.[options.name] ?? options.value ?? '');
  return html`<p class="field${problem ? ' invalid' : ''}">
  <label for="${id}">${options.label}</label>
  ${options.hint ? html`<small id="${id}-hint">${options.hint}</small>` : ''}
  <input id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${value}"
    ${options.autocomplete ? html`autocomplete="${options.autocomplete}"` : ''} ${options.required ? 'required' : ''}
    ${options.maxlength ? html`maxlength="${options.maxlength}"` : ''} ${options.pattern ? html`pattern="${options.pattern.regex}" title="${options.pattern.title}"` : ''}
    ${options.dir ? html`dir="${options.dir}"` : ''}
    ${options.hint ? html`aria-describedby="${id}-hint"` : ''} ${problem ? 'aria-invalid="true"' : ''}>
  ${problem ? html`<span class="problem">${problem}</span>` : ''}
</p>`;
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
}
