import type { I18n } from '../i18n/i18n.js';
import type { PageSite } from '../views/layout.js';
import { hasDiscreetTitles, siteIdentity, type DiscreetChoices } from './discreet.js';
import type { InstanceSettings } from './instance.service.js';
import { languagePolicy } from './languages.js';

/** What every page shows of the instance to this person: their discreet choices, the quick exit, the languages offered. */
export function pageSite(i18n: I18n, settings: InstanceSettings, account: DiscreetChoices | null): PageSite {
  return {
    ...siteIdentity(settings, account),
    genericTitles: hasDiscreetTitles(settings, account),
    quickExitUrl: settings.quickExitUrl,
    country: settings.defaultCountry,
    offeredLocales: languagePolicy(i18n, settings).offered,
  };
}
