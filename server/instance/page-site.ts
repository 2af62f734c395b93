import { lastAnswer } from '../core/last-answer.js';
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

/** What kept pages show of the instance to visitors (http/kept-answers.ts), as its settings stand: the same object until they change. */
export function currentVisitorSite(i18n: I18n, instance: { settings(): InstanceSettings }): () => PageSite {
  const siteOf = lastAnswer((settings: InstanceSettings) => pageSite(i18n, settings, null));
  return () => siteOf(instance.settings());
}
