import type { RequestHandler } from 'express';
import { pooledToken, safeEqual } from '../crypto.js';
import { AppError } from '../core/errors.js';
import { CSRF_COOKIE } from './request.js';

/**
 * Whether another site sent the request. Sec-Fetch-Site is the browser's own word: "same-site" is a neighbouring
 * origin (another subdomain), not this one, so it is refused like "cross-site". Pages here send no referrer, so the
 * browser's own forms post with `Origin: null`: that is accepted only when the browser also says it came from this
 * origin (or says nothing, as older browsers do), never from a sandboxed frame or another site that hides its origin.
 */
function crossSite(req: Parameters<RequestHandler>[0], publicOrigin: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (origin === 'null') return site !== undefined && site !== 'same-origin' && site !== 'none';
  return !!origin && origin !== publicOrigin && origin !== `${req.protocol}://${req.headers.host ?? ''}`;
}

/**
 * Every method that may change something. Forms can only POST, but a page of another site can also send PUT, PATCH
 * or DELETE with fetch (the preflight reaches the server only as an OPTIONS, yet a misjudged CORS answer or a future
 * route must not turn into a hole): all four get the same check.
 */
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const SEED = /^[A-Za-z0-9_-]{22,64}$/;

/** The browser's CSRF seed from its cookies, or null when it has none (or not one of ours). */
export function csrfSeed(cookies: Readonly<Record<string, unknown>> | undefined): string | null {
  const seed = cookies?.[CSRF_COOKIE];
  return typeof seed === 'string' && SEED.test(seed) ? seed : null;
}

/**
 * A new seed as the Set-Cookie header that gives it to the browser; pages served before the middleware
 * (kept-answers.ts) send the same header.
 */
export function newCsrfSeedCookie(secure: boolean): { readonly seed: string; readonly header: string } {
  const seed = pooledToken(18);
  return { seed, header: `${CSRF_COOKIE}=${seed}; Path=/; HttpOnly;${secure ? ' Secure;' : ''} SameSite=Lax` };
}

/**
 * For a POST that needs no token because it changes nothing on the server (the quick exit's clean-up): refused
 * only when another site sends it.
 */
export function sameSiteOnly(publicOrigin: string): RequestHandler {
  return (req, _res, next) => {
    next(crossSite(req, publicOrigin) ? new AppError(403, 'csrf_failed') : undefined);
  };
}

/**
 * Form posts carry a token bound to a random per-browser cookie (keyed with
 * the instance secret). The JSON API takes no token: a cookie-authenticated
 * request from another site is refused by its Origin and Sec-Fetch-Site, and
 * bodies must be JSON, which no form can send.
 */
export function csrfProtection(
  keyedHash: (purpose: string, text: string) => string,
  secure: boolean,
  publicOrigin: string,
  mode: 'form' | 'api',
): RequestHandler {
  return (req, res, next) => {
    if (mode === 'form') {
      let seed = csrfSeed(req.cookies);
      if (seed === null) {
        const made = newCsrfSeedCookie(secure);
        seed = made.seed;
        res.append('Set-Cookie', made.header);
      }
      req.csrfToken = keyedHash('csrf', seed);
    }
    if (!UNSAFE.has(req.method) || req.viaBearer) {
      next();
      return;
    }
    if (crossSite(req, publicOrigin)) {
      next(new AppError(403, 'csrf_failed'));
      return;
    }
    if (mode === 'api') {
      next();
      return;
    }
    const body = req.body as Record<string, unknown> | undefined;
    const sent = typeof body?._csrf === 'string' ? body._csrf : undefined;
    if (!sent || !safeEqual(sent, req.csrfToken)) {
      next(new AppError(403, 'csrf_failed'));
      return;
    }
    next();
  };
}
