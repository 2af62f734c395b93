import { html, type SafeHtml } from '../views/html.js';
import { type FormState, type PageContext } from '../views/layout.js';
import { countryChoices } from './countries.js';

/**
 * The instance's country and language, asked at setup: the country reads phone numbers written without "+", the
 * language is the starter content's and the default for people who chose none.
 */
export function setupChoices(ctx: PageContext, language: string, state: FormState | undefined): SafeHtml {
  const { t } = ctx;
  const country = state?.values?.defaultCountry ?? ctx.country;
  const chosen = state?.values?.defaultLocale ?? language;
  const problem = (name: string) => state?.fieldErrors?.[name];
  const select = (name: string, label: string, hint: string, options: SafeHtml[]) =>
    html`<p class="field${problem(name) ? ' invalid' : ''}"><label for="f-${name}">${label}</label><small id="f-${name}-hint">${hint}</small>
<select id="f-${name}" name="${name}" aria-describedby="f-${name}-hint">${options}</select>${problem(name) ? html`<span class="problem">${problem(name)}</span>` : ''}</p>`;
  return html`${select(
    'defaultCountry',
    t('admin.country'),
    t('layout.country_hint'),
    countryChoices(ctx.locale).map((c) => html`<option value="${c.code}" ${c.code === country ? 'selected' : ''}>${c.name}</option>`),
  )}
${select(
  'defaultLocale',
  t('admin.default_language'),
  t('layout.language_hint'),
  ctx.languages.map((l) => html`<option value="${l.tag}" lang="${l.tag}" ${l.tag === chosen ? 'selected' : ''}>${l.name}</option>`),
)}`;
}
