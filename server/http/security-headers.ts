import type express from 'express';
import helmet from 'helmet';
import type { HeaderList } from './response-cache.js';

/**
 * Every page's headers: a strict CSP (nothing from other hosts), no referrer, no powerful features. None of them
 * depends on the request, so they are worked out once; answers served before the middleware (kept-answers.ts)
 * send the same list.
 */
export function securityHeaderList(secure: boolean): HeaderList {
  const self = ["'self'"];
  const helmetHandler = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: self,
        scriptSrc: self,
        styleSrc: self,
        imgSrc: [...self, 'data:', 'blob:'],
        connectSrc: self,
        fontSrc: self,
        manifestSrc: self,
        workerSrc: self,
        mediaSrc: self,
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: self,
        frameAncestors: ["'none'"],
        // Upgrading on plain-http localhost would break every asset, so only behind https.
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  const headers = new Map<string, string>([['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=(), browsing-topics=()']]);
  // helmet writes its headers synchronously through these two methods; with static directives it reads nothing else.
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  const failures: unknown[] = [];
  helmetHandler({} as express.Request, recorder as unknown as express.Response, (error?: unknown) => {
    if (error !== undefined) failures.push(error);
  });
  if (failures.length > 0) throw new Error('the security headers could not be worked out', { cause: failures[0] });
  return [...headers];
}

export function securityHeaders(secure: boolean): express.RequestHandler {
  const list = securityHeaderList(secure);
  return (_req, res, next) => {
    for (const [name, value] of list) res.setHeader(name, value);
    res.removeHeader('X-Powered-By');
    next();
  };
}
