import type { Request, Response } from 'express';
import { randomToken, safeEqual } from '../crypto.js';
import type { AccountDoc } from './accounts.collections.js';

/** What a device cookie is bound to: the account and its device epoch. */
type Bound = Pick<AccountDoc, 'id' | 'deviceEpoch'>;

export const DEVICE_COOKIE = 'psl_device';
/** A browser shared by a few members keeps one entry for each; the oldest gives way. */
const MAX_ENTRIES = 4;
const ENTRY = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const YEAR_MS = 365 * 86_400_000;

/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device
 * Cookies"): a browser that logged in to an account keeps a nonce and a MAC
 * of the account id and that nonce. The account id itself is not in the
 * cookie: the server knows it from the handle being logged in to, so a
 * browser's cookie jar does not name the account, and the server stores
 * nothing about the device. The account's device epoch is in the MAC too:
 * ending everything of the account (after a phone was taken) voids every
 * device cookie it had.
 */
export class DeviceCookies {
  constructor(private readonly keyedHash: (purpose: string, text: string) => string) {}

  /** The nonce of the cookie's entry for this account, or null when the cookie holds none that is genuine. */
  trusted(account: Bound, cookie: string | undefined): string | null {
    for (const { nonce, mac } of entries(cookie)) {
      if (safeEqual(this.mac(account, nonce), mac)) return nonce;
    }
    return null;
  }

  /** The cookie value after a log-in to `account`: its entry is kept or added, newest last. */
  issue(account: Bound, cookie: string | undefined): string {
    const kept = entries(cookie);
    if (this.trusted(account, cookie)) return kept.map((e) => `${e.nonce}.${e.mac}`).join('~');
    const nonce = randomToken(16);
    const all = [...kept, { nonce, mac: this.mac(account, nonce) }].slice(-MAX_ENTRIES);
    return all.map((e) => `${e.nonce}.${e.mac}`).join('~');
  }

  private mac(account: Bound, nonce: string): string {
    return this.keyedHash('device', `${account.id}\u0000${account.deviceEpoch ?? 0}\u0000${nonce}`);
  }
}

function entries(cookie: string | undefined): { nonce: string; mac: string }[] {
  if (!cookie || cookie.length > 400) return [];
  const out: { nonce: string; mac: string }[] = [];
  for (const part of cookie.split('~').slice(0, MAX_ENTRIES)) {
    const match = ENTRY.exec(part);
    if (match) out.push({ nonce: match[1]!, mac: match[2]! });
  }
  return out;
}

/** Sent only with log-in forms and calls (path /), never readable by scripts. */
export function setDeviceCookie(res: Response, value: string, secure: boolean): void {
  res.cookie(DEVICE_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: YEAR_MS });
}

export function deviceCookieOf(req: Request): string | undefined {
  const value: unknown = req.cookies?.[DEVICE_COOKIE];
  return typeof value === 'string' ? value : undefined;
}
