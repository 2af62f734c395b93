import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import type { AccountView, PendingView } from '../accounts/accounts.service.js';
import type { InviteView } from '../accounts/invites.service.js';
import type { InstanceSettings } from '../instance/instance.service.js';
import type { AreaView } from '../areas/areas.service.js';

export interface AdminData {
  readonly isAdmin: boolean;
  readonly settings: InstanceSettings;
  readonly pending: readonly PendingView[];
  readonly invites: readonly InviteView[];
  readonly staff: readonly AccountView[];
  readonly areas: readonly AreaView[];
  /** Whether ActivityPub is on (the federation page exists). */
  readonly federation: boolean;
  /** Every language with a catalogue, for the admin to choose which to offer. */
  readonly allLanguages: readonly { readonly tag: string; readonly name: string }[];
  /** Backups and what protects the data at rest (admins only). */
  readonly dataSafety: {
    readonly lastBackupDay: string | null;
    readonly databaseEncrypted: boolean;
    readonly secretOutside: boolean;
    /** What photos take in the database (server/media). */
    readonly photoStorage: { readonly photos: number; readonly bytes: number };
  };
  readonly newInvite?: string;
  readonly done?: string;
}

export type AdminSection = 'settings' | 'approvals' | 'invites' | 'roles' | 'areas';


/** A shell command, the same in every language. */
const BACKUP_COMMAND = 'npm run cli -- backup FILE --recipient AGE_PUBLIC_KEY';

/** When the last backup was made and how to make one; what the database's bytes on disk are protected by. */
function dataSafetySection(ctx: PageContext, d: AdminData['dataSafety']): SafeHtml {
  const { t } = ctx;
  return html`<section id="backups" aria-labelledby="h-backups">
<h2 id="h-backups">${t('admin.backups')}</h2>
<p>${d.lastBackupDay ? t('admin.backup_last', { day: formatDay(ctx, Date.parse(`${d.lastBackupDay}T12:00:00Z`)) }) : t('admin.backup_none')}</p>
<p>${t('admin.backup_how')}</p>
<pre><code>${BACKUP_COMMAND}</code></pre>
<p>${t('admin.backup_keep')}</p>
<p class="${d.databaseEncrypted ? '' : 'notice'}">${t(d.databaseEncrypted ? 'admin.db_encrypted' : 'admin.db_plain')}</p>
<p class="${d.secretOutside ? '' : 'notice'}">${t(d.secretOutside ? 'admin.secret_outside' : 'admin.secret_inside')}</p>
<p id="photo-storage">${t('media.admin_storage', { count: d.photoStorage.photos, megabytes: (d.photoStorage.bytes / 1_048_576).toFixed(1) })}</p>
</section>`;
}

export function adminPage(ctx: PageContext, data: AdminData, state?: { section: AdminSection; form: FormState }): SafeHtml {
  const { t } = ctx;
  const s = (section: AdminSection) => (state?.section === section ? state.form : undefined);
  const modes = ['open', 'approval', 'invite'] as const;
  return layout(ctx, {
    title: t('admin.title'),
    body: html`<h1>${icon('shield')} ${t('admin.title')}</h1>
${data.done ? html`<p class="success" role="status">${icon('check')} ${data.done}</p>` : ''}
${data.isAdmin && data.federation ? html`<p><a href="/admin/federation">${icon('globe')} ${t('federation.title')}</a></p>` : ''}
${data.isAdmin
  ? html`<section id="settings" aria-labelledby="h-settings">
<h2 id="h-settings">${t('admin.settings')}</h2>
${data.settings.registrationMode === 'open' ? html`<p class="notice">${t('admin.open_warning')}</p>` : ''}
${errorBox(s('settings'))}
<form method="post" action="/admin/settings" class="stack">
  ${csrfField(ctx)}
  ${field(s('settings'), { name: 'name', label: t('admin.instance_name'), maxlength: 60, value: data.settings.name })}
  <fieldset><legend>${t('admin.registration')}</legend>
  ${modes.map((m) => html`<label><input type="radio" name="registrationMode" value="${m}" ${data.settings.registrationMode === m ? 'checked' : ''}> ${t(`admin.mode_${m}`)}</label>`)}
  </fieldset>
  ${field(s('settings'), { name: 'approvalQuestion', label: t('admin.question'), maxlength: 300, value: data.settings.approvalQuestion })}
  ${field(s('settings'), { name: 'defaultCountry', label: t('admin.country'), hint: t('admin.country_hint'), maxlength: 2, value: data.settings.defaultCountry })}
  ${field(s('settings'), { name: 'quickExitUrl', label: t('admin.quick_exit_url'), hint: t('admin.quick_exit_hint'), type: 'url', maxlength: 500, value: data.settings.quickExitUrl })}
  <fieldset><legend>${t('admin.discreet_default')}</legend>
  ${([true, false] as const).map((on) => html`<label><input type="radio" name="discreetByDefault" value="${String(on)}" ${data.settings.discreetByDefault === on ? 'checked' : ''}> ${t(on ? 'admin.discreet_yes' : 'admin.discreet_no')}</label>`)}
  </fieldset>
  ${field(s('settings'), { name: 'discreetName', label: t('admin.discreet_name'), hint: t('admin.discreet_name_hint'), maxlength: 40, value: data.settings.discreetName })}
  <fieldset><legend>${t('admin.discreet_titles_default')}</legend>
  ${([true, false] as const).map((on) => html`<label><input type="radio" name="discreetTitlesByDefault" value="${String(on)}" ${data.settings.discreetTitlesByDefault === on ? 'checked' : ''}> ${t(on ? 'admin.discreet_titles_yes' : 'admin.discreet_titles_no')}</label>`)}
  </fieldset>
  <p class="field${s('settings')?.fieldErrors?.alarmContact ? ' invalid' : ''}"><label for="f-alarmContact">${t('admin.alarm_contact')}</label>
  <small id="f-alarmContact-hint">${t('admin.alarm_contact_hint')}</small>
  <textarea id="f-alarmContact" name="alarmContact" rows="3" maxlength="1000" aria-describedby="f-alarmContact-hint">${s('settings')?.values?.alarmContact ?? data.settings.alarmContact}</textarea>
  ${s('settings')?.fieldErrors?.alarmContact ? html`<span class="problem">${s('settings')!.fieldErrors!.alarmContact}</span>` : ''}</p>
  <fieldset${s('settings')?.fieldErrors?.offeredLocales ? html` class="invalid"` : ''}><legend>${icon('globe')} ${t('admin.languages')}</legend>
  <small>${t('admin.languages_hint')}</small>
  <input type="hidden" name="offeredLocales" value="">
  ${data.allLanguages.map((l) => html`<label lang="${l.tag}"><input type="checkbox" name="offeredLocales" value="${l.tag}" ${data.settings.offeredLocales.includes(l.tag) ? 'checked' : ''}> ${l.name}</label>`)}
  ${s('settings')?.fieldErrors?.offeredLocales ? html`<span class="problem">${s('settings')!.fieldErrors!.offeredLocales}</span>` : ''}
  </fieldset>
  <p class="field${s('settings')?.fieldErrors?.defaultLocale ? ' invalid' : ''}"><label for="f-defaultLocale">${t('admin.default_language')}</label>
  <select id="f-defaultLocale" name="defaultLocale"><option value="">${t('admin.default_language_config')}</option>
  ${data.allLanguages.map((l) => html`<option value="${l.tag}" lang="${l.tag}" ${data.settings.defaultLocale === l.tag ? 'selected' : ''}>${l.name}</option>`)}</select>
  ${s('settings')?.fieldErrors?.defaultLocale ? html`<span class="problem">${s('settings')!.fieldErrors!.defaultLocale}</span>` : ''}</p>
  <button type="submit">${icon('check')} ${t('settings.save')}</button>
</form>
</section>`
  : ''}

<section id="approvals" aria-labelledby="h-approvals">
<h2 id="h-approvals">${t('admin.approvals')}</h2>
${errorBox(s('approvals'))}
${data.pending.length === 0 ? html`<p>${t('admin.no_pending')}</p>` : ''}
<ul class="list">${data.pending.map(
      (p) => html`<li><strong>${p.handle}</strong> · ${formatDay(ctx, p.createdAt)}<blockquote>${p.answer}</blockquote>
  <form method="post" action="/admin/approvals/${p.id}/approve" class="inline">${csrfField(ctx)}<button type="submit" class="primary">${icon('check')} ${t('admin.approve')}</button></form>
  <form method="post" action="/admin/approvals/${p.id}/refuse" class="inline">${csrfField(ctx)}<button type="submit">${icon('exit')} ${t('admin.refuse')}</button></form></li>`,
    )}</ul>
</section>

<section id="invites" aria-labelledby="h-invites">
<h2 id="h-invites">${t('admin.invites')}</h2>
${data.newInvite ? html`<p class="notice">${t('admin.invite_once')}</p><p><code class="token">${data.newInvite}</code></p>` : ''}
${errorBox(s('invites'))}
<ul class="list">${data.invites.map(
      (i) => html`<li>${t('admin.invite_line', { created: formatDay(ctx, i.createdAt), expires: formatDay(ctx, i.expiresAt) })}
  <form method="post" action="/admin/invites/${i.id}/revoke" class="inline">${csrfField(ctx)}<button type="submit">${t('settings.revoke')}</button></form></li>`,
    )}</ul>
<form method="post" action="/admin/invites" class="stack">
  ${csrfField(ctx)}
  ${field(s('invites'), { name: 'days', label: t('admin.invite_days'), type: 'number', value: '7' })}
  <button type="submit">${icon('plus')} ${t('admin.create_invite')}</button>
</form>
</section>

<section id="roles" aria-labelledby="h-roles">
<h2 id="h-roles">${t('admin.staff')}</h2>
<ul class="list">${data.staff.map((a) => html`<li><strong>${a.handle}</strong> · ${t(`role.${a.role}`)}</li>`)}</ul>
<p><a href="/admin/reset-passphrase">${t('reset.title')}</a></p>
${data.isAdmin
  ? html`${errorBox(s('roles'))}
<form method="post" action="/admin/roles" class="stack">
  ${csrfField(ctx)}
  ${field(s('roles'), { name: 'handle', label: t('signup.handle'), required: true, maxlength: 100 })}
  <p class="field"><label for="f-role">${t('admin.role')}</label>
  <select id="f-role" name="role">${(['member', 'moderator', 'admin'] as const).map((r) => html`<option value="${r}">${t(`role.${r}`)}</option>`)}</select></p>
  <button type="submit">${icon('check')} ${t('admin.set_role')}</button>
</form>
<form method="post" action="/admin/trusted" class="stack">
  ${csrfField(ctx)}
  ${field(undefined, { name: 'handle', label: t('signup.handle'), required: true, maxlength: 100 })}
  <label class="check"><input type="checkbox" name="trusted" value="true" checked> ${t('admin.trusted')}</label>
  <label class="check"><input type="checkbox" name="responder" value="true"> ${t('admin.responder')}</label>
  <button type="submit">${icon('check')} ${t('admin.set_trusted')}</button>
</form>`
  : ''}
</section>
${data.isAdmin ? dataSafetySection(ctx, data.dataSafety) : ''}
${data.isAdmin
  ? html`<section id="areas" aria-labelledby="h-areas">
<h2 id="h-areas">${t('admin.areas')}</h2>
<p>${t('admin.areas_explain')}</p>
${errorBox(s('areas'))}
<ul class="list">${data.areas.map(
      (a) => html`<li>${a.name} <form method="post" action="/admin/areas/${a.id}/delete" class="inline">${csrfField(ctx)}<button type="submit">${icon('trash')} ${t('settings.revoke')}</button></form></li>`,
    )}</ul>
<form method="post" action="/admin/areas" class="stack">
  ${csrfField(ctx)}
  ${field(s('areas'), { name: 'name', label: t('admin.area_name'), required: true, maxlength: 80 })}
  <button type="submit">${icon('plus')} ${t('admin.add_area')}</button>
</form></section>`
  : ''}`,
  });
}
