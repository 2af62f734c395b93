import fs from 'node:fs';
import path from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import type { MessageParams } from '../core/errors.js';

export interface CatalogueMeta {
  /** The language's name in itself, for the language picker. */
  readonly name: string;
  readonly dir: 'ltr' | 'rtl';
  /** True when a machine made the translation and a speaker should review it. */
  readonly machineTranslated: boolean;
}

export interface I18n {
  readonly locales: readonly string[];
  readonly defaultLocale: string;
  meta(locale: string): CatalogueMeta;
  /**
   * Picks the best locale from explicit choices, then an Accept-Language header, among `policy.offered` (default: all)
   * and else `policy.fallback` (default: the default locale).
   */
  negotiate(choices: readonly (string | undefined | null)[], acceptLanguage: string | undefined, policy?: LanguagePolicy): string;
  t(locale: string, key: string, params?: MessageParams): string;
  has(locale: string, key: string): boolean;
}

/** The language a fresh instance's starter content (boards and the like) is written in, once. */
export interface SeedLanguage {
  readonly locale: string;
  readonly text: (key: string) => string;
}

/**
 * Starter content moving to the language the admin chose at setup: only what nobody changed since it was written,
 * that is whatever still reads as a catalogue's text in some language.
 */
export interface Relabel {
  readonly to: SeedLanguage;
  /** Whether `text` is `key`'s message in one of the catalogues (the starter text, not yet edited). */
  readonly untouched: (key: string, text: string) => boolean;
}

/** Starter content in one language, for a seed and a relabel alike. */
export function seedLanguage(i18n: I18n, locale: string): SeedLanguage {
  return { locale, text: (key) => i18n.t(locale, key) };
}

export function relabelTo(i18n: I18n, locale: string): Relabel {
  return { to: seedLanguage(i18n, locale), untouched: (key, text) => i18n.locales.some((l) => i18n.has(l, key) && i18n.t(l, key) === text) };
}

/** Which languages an instance offers, and the one for people whose choices match none of them. */
export interface LanguagePolicy {
  readonly offered: readonly string[];
  readonly fallback: string;
}

type Catalogue = { meta: CatalogueMeta; messages: Map<string, string> };

type MessageElement = ReturnType<IntlMessageFormat['getAst']>[number];

// The element types of @formatjs/icu-messageformat-parser's AST that matter here.
const ARGUMENT = 1;
const NUMBER = 2;
const PLAIN_NUMBER = { number: { plain: { useGrouping: false } } };

const digitsByLocale = new Map<string, boolean>();
/** Whether the locale writes numbers in digits other than 0-9 by default (Burmese). */
function ownDigits(locale: string): boolean {
  let own = digitsByLocale.get(locale);
  if (own === undefined) {
    own = new Intl.NumberFormat(locale).resolvedOptions().numberingSystem !== 'latn';
    digitsByLocale.set(locale, own);
  }
  return own;
}

const regionNames = new Map<string, Intl.DisplayNames>();
/**
 * A `country` parameter is an ISO 3166 code ("EG") in errors and views, so that it is shown as the country's name in
 * the reader's language ("Egypt", "مصر") wherever a message names it.
 */
function withCountryName(locale: string, params: MessageParams | undefined): MessageParams | undefined {
  const code = params?.country;
  if (typeof code !== 'string' || !/^[A-Z]{2}$/.test(code)) return params;
  let names = regionNames.get(locale);
  if (!names) {
    names = new Intl.DisplayNames([locale], { type: 'region' });
    regionNames.set(locale, names);
  }
  return { ...params, country: names.of(code) ?? code };
}

/** The message with every plain argument named in `names` turned into a number argument. */
function asNumbers(elements: readonly MessageElement[], names: ReadonlySet<string>): MessageElement[] {
  return elements.map((element) => {
    if (element.type === ARGUMENT && names.has(element.value)) return { ...element, type: NUMBER, style: 'plain' } as unknown as MessageElement;
    if ('options' in element) {
      const options = Object.fromEntries(Object.entries(element.options).map(([choice, option]) => [choice, { ...option, value: asNumbers(option.value, names) }]));
      return { ...element, options } as MessageElement;
    }
    if ('children' in element) return { ...element, children: asNumbers(element.children, names) } as MessageElement;
    return element;
  });
}

/**
 * A catalogue's messages by key. A feature may keep its keys in a section of their own (`"media": { "alt": … }`),
 * so that work on several features does not touch the same lines; its keys read `media.alt`.
 */
export function flattenCatalogue(raw: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== '$meta' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [inner, message] of Object.entries(value)) flat[`${key}.${inner}`] = message;
    } else {
      flat[key] = value;
    }
  }
  return flat;
}

/** Reads every `locales/*.json` catalogue. A key missing in a locale falls back to the default locale's message. */
export function loadI18n(localesDir: string, defaultLocale: string): I18n {
  const catalogues = new Map<string, Catalogue>();
  for (const file of fs.readdirSync(localesDir).filter((f) => f.endsWith('.json')).sort()) {
    const locale = file.slice(0, -'.json'.length);
    const raw = flattenCatalogue(JSON.parse(fs.readFileSync(path.join(localesDir, file), 'utf8')) as Record<string, unknown>);
    const { $meta, ...messages } = raw;
    catalogues.set(locale, { meta: $meta as CatalogueMeta, messages: new Map(Object.entries(messages as Record<string, string>)) });
  }
  const fallback = catalogues.get(defaultLocale) ?? catalogues.get('en');
  if (!fallback) throw new Error(`no catalogue for the default locale ${defaultLocale} in ${localesDir}`);
  const fallbackLocale = catalogues.has(defaultLocale) ? defaultLocale : 'en';
  const locales = [...catalogues.keys()];
  const byLowercase = new Map(locales.map((l) => [l.toLowerCase(), l]));
  const compiled = new Map<string, IntlMessageFormat>();

  function match(tag: string, offered: ReadonlySet<string> | null): string | undefined {
    const lower = tag.trim().toLowerCase();
    const allowed = (locale: string | undefined) => (locale && (!offered || offered.has(locale)) ? locale : undefined);
    const exact = allowed(byLowercase.get(lower));
    if (exact) return exact;
    // zh-CN / zh-SG / zh map to Simplified Chinese; other regions fall back to the bare language.
    if (lower === 'zh' || lower === 'zh-cn' || lower === 'zh-sg' || lower === 'zh-hans-cn') return allowed(byLowercase.get('zh-hans'));
    const base = lower.split('-')[0] ?? '';
    return allowed(byLowercase.get(base)) ?? locales.find((l) => l.toLowerCase().startsWith(`${base}-`) && allowed(l));
  }

  function format(locale: string, key: string, params: MessageParams | undefined): string {
    const catalogue = catalogues.get(locale) ?? fallback!;
    let source = catalogue.messages.get(key);
    let sourceLocale = locale;
    if (source === undefined) {
      source = fallback!.messages.get(key);
      sourceLocale = fallbackLocale;
    }
    if (source === undefined) return key;
    // A plain {count} would come out in Latin digits beside a plural's # in the locale's own (Burmese): where the
    // locale has digits of its own, number arguments are formatted as numbers too (without grouping, like String()).
    const numeric = ownDigits(sourceLocale) && params ? Object.keys(params).filter((name) => typeof params[name] === 'number') : [];
    const cacheKey = `${sourceLocale}\u0000${key}\u0000${numeric.join(',')}`;
    let message = compiled.get(cacheKey);
    if (!message) {
      const plain = new IntlMessageFormat(source, sourceLocale, undefined, { ignoreTag: true });
      message = numeric.length ? new IntlMessageFormat(asNumbers(plain.getAst(), new Set(numeric)), sourceLocale, PLAIN_NUMBER, { ignoreTag: true }) : plain;
      compiled.set(cacheKey, message);
    }
    return String(message.format(withCountryName(sourceLocale, params) as Record<string, string | number> | undefined));
  }

  return {
    locales,
    defaultLocale: fallbackLocale,
    meta: (locale) => (catalogues.get(locale) ?? fallback!).meta,
    negotiate(choices, acceptLanguage, policy) {
      const offered = policy ? new Set(policy.offered) : null;
      for (const choice of choices) {
        const found = choice ? match(choice, offered) : undefined;
        if (found) return found;
      }
      if (acceptLanguage) {
        const ranked = acceptLanguage
          .split(',')
          .slice(0, 20)
          .map((part) => {
            const [tag = '', ...rest] = part.split(';');
            const q = rest.map((r) => r.trim()).find((r) => r.startsWith('q='));
            return { tag, q: q ? Number(q.slice(2)) || 0 : 1 };
          })
          .filter((entry) => entry.q > 0)
          .sort((a, b) => b.q - a.q);
        for (const { tag } of ranked) {
          const found = match(tag, offered);
          if (found) return found;
        }
      }
      return policy?.fallback ?? fallbackLocale;
    },
    t: (locale, key, params) => format(locale, key, params),
    has: (locale, key) => catalogues.get(locale)?.messages.has(key) ?? false,
  };
}
