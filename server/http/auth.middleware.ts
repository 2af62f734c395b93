import type { RequestHandler, Response } from 'express';
import type { SessionsService } from '../accounts/sessions.service.js';
import { SESSION_COOKIE } from './request.js';

export interface CookieOptions {
  readonly secure: boolean;
  readonly sessionMs: number;
}

export function setSessionCookie(res: Response, token: string, options: CookieOptions): void {
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/',
    maxAge: options.sessionMs,
  });
}

export function clearSessionCookie(res: Response, options: CookieOptions): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' });
}

/**
 * Resolves who is asking: a bearer token when an Authorization header is sent
 * (a bad one is a 401, never a silent fallback to the cookie), else the session
 * cookie (a bad or stale one is simply ignored and cleared). The member key is
 * unwrapped with the cookie's or token's secret for this request only.
 */
export function authenticate(sessions: SessionsService, options: CookieOptions): RequestHandler {
  return (req, res, next) => {
    req.account = null;
    req.memberKey = null;
    req.sessionId = null;
    req.viaBearer = false;
    const header = req.headers.authorization;
    if (header !== undefined) {
      sessions.fromBearer(header).then((auth) => {
        req.account = auth.account;
        req.memberKey = auth.memberKey;
        req.viaBearer = true;
        next();
      }, next);
      return;
    }
    const cookie: unknown = req.cookies?.[SESSION_COOKIE];
    if (cookie === undefined) {
      next();
      return;
    }
    sessions.fromCookie(typeof cookie === 'string' ? cookie : undefined).then((auth) => {
      if (!auth) {
        clearSessionCookie(res, options);
      } else {
        req.account = auth.account;
        req.memberKey = auth.memberKey;
        req.sessionId = auth.sessionId;
        if (auth.rotatedToken) setSessionCookie(res, auth.rotatedToken, options);
      }
      next();
    }, next);
  };
}
