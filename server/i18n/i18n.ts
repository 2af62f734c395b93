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

/** Which languages an instance offers, and the one for people whose choices match none of them. */
export interface LanguagePolicy {
  readonly offered: readonly string[];
  readonly fallback: string;
}

type Catalogue = { meta: CatalogueMeta; messages: Map<string, string> };

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
    const cacheKey = `${sourceLocale}\u0000${key}`;
    let message = compiled.get(cacheKey);
    if (!message) {
      message = new IntlMessageFormat(source, sourceLocale, undefined, { ignoreTag: true });
      compiled.set(cacheKey, message);
    }
    return String(message.format(params as Record<string, string | number> | undefined));
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
