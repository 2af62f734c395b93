import type { I18n } from '../i18n/i18n.js';
import type { PageSite } from '../views/layout.js';
import { siteIdentity } from './discreet.js';
import type { InstanceSettings } from './instance.service.js';
import { languagePolicy } from './languages.js';

/** What every page shows of the instance to this person: their discreet choice, the quick exit, the languages offered. */
export function pageSite(i18n: I18n, settings: InstanceSettings, account: { readonly discreet?: boolean | null } | null): PageSite {
  return { ...siteIdentity(settings, account), quickExitUrl: settings.quickExitUrl, offeredLocales: languagePolicy(i18n, settings).offered };
}
