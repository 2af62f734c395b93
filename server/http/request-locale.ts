import type { Request, RequestHandler } from 'express';
import type { I18n, LanguagePolicy } from '../i18n/i18n.js';
import { lastAnswer } from '../core/last-answer.js';
import { ShortKeyMemo } from '../core/short-key-memo.js';
import { LANG_COOKIE } from './request.js';

/**
 * The language a request is answered in, among those the instance offers (`languages`, read on each request so an
 * admin's change shows at once): a visitor's from the language cookie, then Accept-Language; a member's from their
 * account once the session is known.
 */
export function requestLocale(i18n: I18n, languages: () => LanguagePolicy) {
  const set = (req: Request, locale: string): void => {
    req.locale = locale;
    req.t = (key, params) => i18n.t(locale, key, params);
  };
  // Visitors' choices as they were negotiated under the current policy: a new policy starts a new memo.
  const negotiatedUnder = lastAnswer((_policy: LanguagePolicy) => new ShortKeyMemo<string>(256, 160));
  const visitorLocale = (cookies: Readonly<Record<string, unknown>>, acceptLanguage: string | undefined): string => {
    const cookie = cookies[LANG_COOKIE];
    const lang = typeof cookie === 'string' ? cookie : '';
    const policy = languages();
    // Neither an empty cookie nor an empty header chooses anything, as none.
    return negotiatedUnder(policy).get(`${lang}\u0000${acceptLanguage ?? ''}`, () => i18n.negotiate([lang || undefined], acceptLanguage, policy));
  };
  const visitor: RequestHandler = (req, _res, next) => {
    set(req, visitorLocale(req.cookies as Record<string, unknown>, req.headers['accept-language']));
    next();
  };
  const member: RequestHandler = (req, _res, next) => {
    if (req.account?.locale) set(req, i18n.negotiate([req.account.locale], undefined, languages()));
    next();
  };
  return { visitorLocale, visitor, member };
}
