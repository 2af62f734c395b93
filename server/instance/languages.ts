import { fieldError } from '../core/errors.js';
import { lastAnswer } from '../core/last-answer.js';
import type { I18n, LanguagePolicy } from '../i18n/i18n.js';
import type { InstanceSettings } from './instance.service.js';

type LanguageSettings = Pick<InstanceSettings, 'defaultLocale' | 'offeredLocales'>;

/**
 * The languages this instance offers and its default, from the admin's settings: every catalogue when the admin
 * chose none, and the configured default when theirs is not offered.
 */
export function languagePolicy(i18n: I18n, settings: LanguageSettings): LanguagePolicy {
  const chosen = settings.offeredLocales.filter((l) => i18n.locales.includes(l));
  const offered = chosen.length > 0 ? chosen : i18n.locales;
  const wanted = settings.defaultLocale ?? i18n.defaultLocale;
  return { offered, fallback: offered.includes(wanted) ? wanted : (offered[0] ?? i18n.defaultLocale) };
}

/** The instance's policy as its settings stand, read on every request: the same object until they change. */
export function currentLanguagePolicy(i18n: I18n, instance: { settings(): LanguageSettings }): () => LanguagePolicy {
  const policyOf = lastAnswer((settings: LanguageSettings) => languagePolicy(i18n, settings));
  return () => policyOf(instance.settings());
}

function refuse(field: string, allowed: readonly string[]): never {
  throw fieldError(field, 'validation.not_allowed', { allowed: allowed.join(', ') });
}

/** Refuses (422, naming the field) a language without a catalogue, and a default the instance would not offer. */
export function checkLanguageSettings(i18n: I18n, current: LanguageSettings, patch: Partial<LanguageSettings>): void {
  for (const locale of patch.offeredLocales ?? []) if (!i18n.locales.includes(locale)) refuse('offeredLocales', i18n.locales);
  const next = { ...current, ...patch };
  const { offered } = languagePolicy(i18n, next);
  if (patch.defaultLocale && !offered.includes(patch.defaultLocale)) refuse('defaultLocale', offered);
  if (patch.offeredLocales && next.defaultLocale && !offered.includes(next.defaultLocale)) refuse('defaultLocale', offered);
}
