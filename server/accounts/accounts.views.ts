import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatTime, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import type { RegistrationMode } from '../instance/instance.collections.js';
import type { SessionView, TokenView } from './sessions.service.js';
import { HANDLE_MAX, HANDLE_MIN, HANDLE_PATTERN } from './handle.js';
import { PASSPHRASE_MAX, PASSPHRASE_MIN } from './passphrase.js';

export function signupPage(
  ctx: PageContext,
  options: { mode: RegistrationMode; question: string; action?: string; title?: string; extra?: SafeHtml },
  state?: FormState,
): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: options.title ?? t('signup.title'),
    body: html`<h1>${options.title ?? t('signup.title')}</h1>
<p class="lead">${icon('shield')} ${t('signup.privacy')}</p>
${errorBox(state)}
<form method="post" action="${options.action ?? '/signup'}" class="stack">
  ${csrfField(ctx)}
  ${field(state, {
    name: 'handle',
    label: t('signup.handle'),
    hint: t('signup.handle_hint', { min: HANDLE_MIN, max: HANDLE_MAX }),
    autocomplete: 'username',
    required: true,
    maxlength: HANDLE_MAX,
    pattern: { regex: HANDLE_PATTERN, title: t('layout.handle_pattern', { min: HANDLE_MIN, max: HANDLE_MAX }) },
    dir: 'ltr',
  })}
  ${field(state, { name: 'passphrase', label: t('signup.passphrase'), type: 'password', hint: t('signup.passphrase_hint', { min: PASSPHRASE_MIN }), autocomplete: 'new-password', required: true, maxlength: PASSPHRASE_MAX })}
  ${options.mode === 'approval' ? field(state, { name: 'answer', label: options.question, hint: t('signup.answer_hint'), required: true, maxlength: 500 }) : ''}
  ${options.mode === 'invite' ? field(state, { name: 'invite', label: t('signup.invite'), hint: t('signup.invite_hint'), required: true, maxlength: 40 }) : ''}
  ${options.extra ?? ''}
  <button type="submit" class="primary">${icon('user')} ${t('signup.submit')}</button>
</form>
<p>${t('signup.have_account')} <a href="/login">${t('nav.login')}</a></p>`,
  });
}

export function recoveryCodesPage(ctx: PageContext, codes: readonly string[], heading: string): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('codes.title'),
    body: html`<h1>${icon('check')} ${heading}</h1>
<h2>${icon('key')} ${t('codes.title')}</h2>
<p class="notice">${t('codes.explain')}</p>
<p>${t('codes.key_explain')}</p>
${recoveryCodeList(ctx, codes)}
<p>${t('codes.once')}</p>
<p><a class="button primary" href="/">${icon('check')} ${t('codes.done')}</a></p>`,
    scripts: ['codes.js'],
  });
}

/**
 * Codes shown only once: one column on a phone, a download made in the page (a data: link, so it works without
 * JavaScript and nothing more is asked of the server) and a copy button that codes.js shows when it can copy.
 */
export function recoveryCodeList(ctx: PageContext, codes: readonly string[]): SafeHtml {
  const { t } = ctx;
  const file = `${t('codes.title')}\n\n${codes.join('\n')}\n`;
  return html`<ol class="codes" id="recovery-codes" dir="ltr">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p class="actions"><a class="button" id="codes-download" href="data:text/plain;charset=utf-8,${encodeURIComponent(file)}" download="recovery-codes.txt">${icon('list')} ${t('layout.codes_download')}</a>
<button type="button" id="codes-copy" hidden data-copied="${t('layout.codes_copied')}">${icon('check')} ${t('layout.codes_copy')}</button>
<span id="codes-copy-status" role="status"></span></p>`;
}

/** A log-in challenge as the page shows it: solved by /assets/pow.js, or answered by waiting. */
export interface PageChallenge {
  readonly nonce: string;
  readonly handle: string;
  readonly difficulty: number;
  readonly waitSeconds: number;
}

export function loginPage(ctx: PageContext, next: string, state?: FormState, challenge?: PageChallenge): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('login.title'),
    ...(challenge ? { scripts: ['pow.js'] } : {}),
    body: html`<h1>${t('login.title')}</h1>
${errorBox(state)}
<form method="post" action="/login" class="stack"${challenge
      ? html` data-pow-nonce="${challenge.nonce}" data-pow-handle="${challenge.handle}" data-pow-bits="${String(challenge.difficulty)}"`
      : ''}>
  ${csrfField(ctx)}
  <input type="hidden" name="next" value="${next}">
  ${challenge
    ? html`<input type="hidden" name="challenge_nonce" value="${challenge.nonce}">
  <input type="hidden" name="challenge_solution" value="">
  <p class="notice" role="status" data-pow-status data-pow-working="${t('login.challenge_working')}" data-pow-ready="${t('login.challenge_ready')}">${t('login.challenge_wait', { seconds: challenge.waitSeconds })}</p>`
    : ''}
  ${field(state, { name: 'handle', label: t('signup.handle'), autocomplete: 'username', required: true, maxlength: 100 })}
  ${field(state, { name: 'passphrase', label: t('signup.passphrase'), type: 'password', autocomplete: 'current-password', required: true })}
  <button type="submit" class="primary">${icon('login')} ${t('login.submit')}</button>
</form>
<p><a href="/recover">${icon('key')} ${t('login.forgot')}</a></p>
<p>${t('login.no_account')} <a href="/signup">${t('nav.signup')}</a></p>`,
  });
}

export function recoverPage(ctx: PageContext, state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('recover.title'),
    body: html`<h1>${t('recover.title')}</h1>
<p>${t('recover.explain')}</p>
<p class="notice">${t('recover.key_warning')}</p>
${errorBox(state)}
<form method="post" action="/recover" class="stack">
  ${csrfField(ctx)}
  ${field(state, { name: 'handle', label: t('signup.handle'), autocomplete: 'username', required: true, maxlength: 100 })}
  ${field(state, { name: 'code', label: t('recover.code'), autocomplete: 'one-time-code', required: true, maxlength: 40 })}
  ${field(state, { name: 'passphrase', label: t('recover.new_passphrase'), type: 'password', hint: t('signup.passphrase_hint', { min: PASSPHRASE_MIN }), autocomplete: 'new-password', required: true })}
  <button type="submit" class="primary">${icon('key')} ${t('recover.submit')}</button>
</form>`,
  });
}

export function recoveredPage(ctx: PageContext, codesLeft: number): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('recover.done_title'),
    body: html`<h1>${icon('check')} ${t('recover.done_title')}</h1>
<p>${t('recover.codes_left', { count: codesLeft })}</p>
${codesLeft <= 3 ? html`<p class="notice">${t('recover.codes_low')}</p>` : ''}
<p><a class="button primary" href="/settings">${icon('settings')} ${t('nav.settings')}</a></p>`,
  });
}

export interface SettingsData {
  readonly displayName: string;
  readonly locale: string | null;
  /** Discreet mode as the member chose it; null follows the instance default. */
  readonly discreet: boolean | null;
  /** Discreet titles as the member chose them; null follows the instance default. */
  readonly discreetTitles: boolean | null;
  readonly sessions: readonly SessionView[];
  readonly tokens: readonly TokenView[];
  readonly recoveryCodesLeft: number;
  /** Some codes were made before member keys: they restore the account but not its key. */
  readonly oldRecoveryCodes: boolean;
  /** Federation is on: the member can move their account to or from a partner instance (/settings/move). */
  readonly canMove: boolean;
  /** A token made just now, shown once. */
  readonly newToken?: string;
  /** Recovery codes made just now, shown once. */
  readonly newCodes?: readonly string[];
  readonly done?: string;
}

export type SettingsSection = 'profile' | 'passphrase' | 'codes' | 'sessions' | 'tokens' | 'delete';

export function settingsPage(ctx: PageContext, data: SettingsData, state?: { section: SettingsSection; form: FormState }): SafeHtml {
  const { t } = ctx;
  const s = (section: SettingsSection) => (state?.section === section ? state.form : undefined);
  return layout(ctx, {
    title: t('settings.title'),
    body: html`<h1>${icon('settings')} ${t('settings.title')}</h1>
${data.done ? html`<p class="success" role="status">${icon('check')} ${data.done}</p>` : ''}

<section id="profile" aria-labelledby="h-profile">
<h2 id="h-profile">${t('settings.profile')}</h2>
${errorBox(s('profile'))}
<form method="post" action="/settings/profile" class="stack">
  ${csrfField(ctx)}
  ${field(s('profile'), { name: 'displayName', label: t('settings.display_name'), hint: t('settings.display_name_hint'), maxlength: 50, value: data.displayName })}
  <p class="field"><label for="f-locale">${t('layout.language')}</label>
  <select id="f-locale" name="locale"><option value="">${t('settings.language_auto')}</option>
  ${ctx.languages.map((l) => html`<option value="${l.tag}" ${l.tag === data.locale ? 'selected' : ''}>${l.name}</option>`)}</select></p>
  <p class="field"><label for="f-discreet">${t('settings.discreet')}</label>
  <small id="f-discreet-hint">${t('settings.discreet_hint')}</small>
  <select id="f-discreet" name="discreet" aria-describedby="f-discreet-hint">${(['default', 'on', 'off'] as const).map((c) => {
    const chosen = c === 'default' ? data.discreet === null : data.discreet === (c === 'on');
    return html`<option value="${c}" ${chosen ? 'selected' : ''}>${t(`settings.discreet_${c}`)}</option>`;
  })}</select></p>
  <p class="field"><label for="f-discreetTitles">${t('settings.discreet_titles')}</label>
  <small id="f-discreetTitles-hint">${t('settings.discreet_titles_hint')}</small>
  <select id="f-discreetTitles" name="discreetTitles" aria-describedby="f-discreetTitles-hint">${(['default', 'on', 'off'] as const).map((c) => {
    const chosen = c === 'default' ? data.discreetTitles === null : data.discreetTitles === (c === 'on');
    return html`<option value="${c}" ${chosen ? 'selected' : ''}>${t(`settings.discreet_titles_${c}`)}</option>`;
  })}</select></p>
  <button type="submit">${icon('check')} ${t('settings.save')}</button>
</form>
</section>

<section id="passphrase" aria-labelledby="h-pass">
<h2 id="h-pass">${t('settings.passphrase')}</h2>
${errorBox(s('passphrase'))}
<form method="post" action="/settings/passphrase" class="stack">
  ${csrfField(ctx)}
  ${field(s('passphrase'), { name: 'current', label: t('settings.current_passphrase'), type: 'password', autocomplete: 'current-password', required: true })}
  ${field(s('passphrase'), { name: 'passphrase', label: t('recover.new_passphrase'), type: 'password', hint: t('signup.passphrase_hint', { min: PASSPHRASE_MIN }), autocomplete: 'new-password', required: true })}
  <button type="submit">${icon('key')} ${t('settings.change_passphrase')}</button>
</form>
</section>

<section id="codes" aria-labelledby="h-codes">
<h2 id="h-codes">${t('codes.title')}</h2>
<p>${t('recover.codes_left', { count: data.recoveryCodesLeft })}</p>
${data.oldRecoveryCodes ? html`<p class="notice" role="status">${t('codes.old_set')}</p>` : ''}
${data.newCodes ? html`<p class="notice">${t('codes.explain')}</p><p>${t('codes.key_explain')}</p>${recoveryCodeList(ctx, data.newCodes)}` : ''}
${errorBox(s('codes'))}
<form method="post" action="/settings/recovery-codes" class="stack">
  ${csrfField(ctx)}
  ${field(s('codes'), { name: 'passphrase', label: t('settings.current_passphrase'), type: 'password', autocomplete: 'current-password', required: true })}
  <button type="submit">${icon('key')} ${t('settings.new_codes')}</button>
</form>
</section>

<section id="sessions" aria-labelledby="h-sessions">
<h2 id="h-sessions">${t('settings.sessions')}</h2>
${errorBox(s('sessions'))}
<ul class="list">${data.sessions.map(
      (session) => html`<li>${t('settings.session_line', { created: formatTime(ctx, session.createdAt), seen: formatTime(ctx, session.lastSeenAt) })}
  ${session.current
    ? html`<strong>${t('settings.this_device')}</strong>`
    : html`<form method="post" action="/settings/sessions/${session.id}/end" class="inline">${csrfField(ctx)}<button type="submit">${icon('logout')} ${t('settings.end_session')}</button></form>`}</li>`,
    )}</ul>
<p>${t('settings.logout_everywhere_explain')}</p>
<form method="post" action="/settings/logout-everywhere">${csrfField(ctx)}<button type="submit">${icon('logout')} ${t('settings.logout_everywhere')}</button></form>
</section>

<section id="tokens" aria-labelledby="h-tokens">
<h2 id="h-tokens">${t('settings.tokens')}</h2>
<p>${t('settings.tokens_explain')}</p>
<p>${t('settings.tokens_end')}</p>
${data.newToken ? html`<p class="notice">${t('settings.token_once')}</p><p><code class="token">${data.newToken}</code></p>` : ''}
<ul class="list">${data.tokens.map(
      (tok) => html`<li>${tok.name} · ${formatTime(ctx, tok.createdAt)}
  <form method="post" action="/settings/tokens/${tok.id}/revoke" class="inline">${csrfField(ctx)}<button type="submit">${t('settings.revoke')}</button></form></li>`,
    )}</ul>
${errorBox(s('tokens'))}
<form method="post" action="/settings/tokens" class="stack">
  ${csrfField(ctx)}
  ${field(s('tokens'), { name: 'name', label: t('settings.token_name'), required: true, maxlength: 60 })}
  <button type="submit">${icon('plus')} ${t('settings.create_token')}</button>
</form>
</section>

<section id="export" aria-labelledby="h-export">
<h2 id="h-export">${t('settings.export')}</h2>
<p>${t('settings.export_explain')}</p>
<p><a class="button" href="/settings/export" download>${t('settings.export_download')}</a></p>
${data.canMove ? html`<p><a href="/settings/move">${icon('globe')} ${t('admin_console.move_title')}</a></p>` : ''}
</section>

<section id="delete" aria-labelledby="h-delete" class="danger">
<h2 id="h-delete">${t('settings.delete')}</h2>
<p>${t('settings.delete_explain')}</p>
${errorBox(s('delete'))}
<form method="post" action="/settings/delete" class="stack">
  ${csrfField(ctx)}
  <fieldset><legend>${t('settings.delete_content')}</legend>
    <label><input type="radio" name="content" value="keep_anonymous" checked> ${t('settings.delete_keep')}</label>
    <label><input type="radio" name="content" value="delete"> ${t('settings.delete_all')}</label>
  </fieldset>
  ${field(s('delete'), { name: 'passphrase', label: t('settings.current_passphrase'), type: 'password', autocomplete: 'current-password', required: true })}
  <button type="submit" class="danger">${t('settings.delete_submit')}</button>
</form>
</section>`,
    ...(data.newCodes ? { scripts: ['codes.js'] } : {}),
  });
}

export function messagePage(ctx: PageContext, title: string, message: string): SafeHtml {
  return layout(ctx, { title, body: html`<h1>${title}</h1><p>${message}</p><p><a href="/">${icon('home')} ${ctx.t('nav.home')}</a></p>` });
}

/** An admin sets a generated passphrase for a member who lost theirs; it is shown once. */
export function resetPassphrasePage(ctx: PageContext, state?: FormState, done?: { handle: string; passphrase: string }): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('reset.title'),
    body: html`<h1>${t('reset.title')}</h1>
<p>${t('reset.explain')}</p>
<p class="notice" role="alert">${t('reset.key_warning')}</p>
${done ? html`<p class="notice" role="status">${t('reset.done', { handle: done.handle })}</p><p><code class="token">${done.passphrase}</code></p>` : ''}
${errorBox(state)}
<form method="post" action="/admin/reset-passphrase" class="stack">
  ${csrfField(ctx)}
  ${field(state, { name: 'handle', label: t('admin_console.member_handle'), required: true, maxlength: 100 })}
  <button type="submit">${icon('key')} ${t('reset.submit')}</button>
</form>`,
  });
}
