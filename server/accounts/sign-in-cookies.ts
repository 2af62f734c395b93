import type { Response } from 'express';
import { setSessionCookie, type CookieOptions } from '../http/auth.middleware.js';
import { setDeviceCookie } from './device-cookie.js';

/**
 * Every way in (sign-up, the first admin's setup, log-in, recovery), by page or by API, hands the browser its new
 * session together with the device cookie that spares this browser the log-in challenge next time.
 */
export function setSignInCookies(res: Response, signedIn: { readonly sessionToken: string; readonly deviceCookie: string }, cookie: CookieOptions): void {
  setSessionCookie(res, signedIn.sessionToken, cookie);
  setDeviceCookie(res, signedIn.deviceCookie, cookie.secure);
}
