import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDay, icon, type FormState, type PageContext } from '../views/layout.js';
import type { InviteView } from '../accounts/invites.service.js';
import type { InstanceSettings } from '../instance/instance.service.js';
import type { ChecklistStep } from './console.service.js';
import { checklistSection, consolePage } from './console.views.js';

export interface AdminData {
  readonly settings: InstanceSettings;
  readonly invites: readonly InviteView[];
  readonly checklist: readonly ChecklistStep[];
  /** Every language with a catalogue, for the admin to choose which to offer. */
  readonly allLanguages: readonly { readonly tag: string; readonly name: string }[];
  readonly newInvite?: string;
  readonly done?: string;
}

export type AdminSection = 'settings' | 'invites';

export function adminPage(ctx: PageContext, data: AdminData, state?: { section: AdminSection; form: FormState }): SafeHtml {
  const { t } = ctx;
  const s = (section: AdminSection) => (state?.section === section ? state.form : undefined);
  const modes = ['open', 'approval', 'invite'] as const;
  return consolePage(
    ctx,
    'home',
    html`${checklistSection(ctx, data.checklist)}
<section id="settings" aria-labelledby="h-settings">
<h2 id="h-settings">${t('admin.settings')}</h2>
${data.settings.registrationMode === 'open' ? html`<p class="notice">${t('admin.open_warning')}</p>` : ''}
${errorBox(s('settings'))}
<form method="post" action="/admin/settings" class="stack">
  ${csrfField(ctx)}
  ${field(s('settings'), { name: 'name', label: t('admin.instance_name'), maxlength: 60, value: data.settings.name })}
  <fieldset id="registration"><legend>${t('admin.registration')}</legend>
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
  <fieldset id="languages"${s('settings')?.fieldErrors?.offeredLocales ? html` class="invalid"` : ''}><legend>${icon('globe')} ${t('admin.languages')}</legend>
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
</section>`,
    data.done,
  );
}
