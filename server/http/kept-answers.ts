import type http from 'node:http';
import type { HeaderList, ResponseCache } from './response-cache.js';

/** What a kept page shows of the site to a visitor, besides the thread: part of its key. */
export interface VisitorSite {
  readonly name: string;
  readonly discreet: boolean;
  readonly genericTitles: boolean;
  readonly quickExitUrl: string;
}

/** What a route's key may depend on in a visitor's request. */
export interface VisitorRequest {
  /** The path and query as sent (express's req.originalUrl). */
  readonly url: string;
  /** The language the pages' middleware would give this visitor. */
  locale(): string;
  site(): VisitorSite;
}

export interface KeptRoute {
  /** The paths the route answers, as express matches its pattern (case-insensitive, an optional trailing slash). */
  readonly path: RegExp;
  /** Pages get the CSRF seed cookie from the middleware when the browser has none; API answers do not. */
  readonly kind: 'page' | 'api';
  readonly cache: ResponseCache;
  /** Headers the route's own handler sets on a kept answer (Cache-Control). */
  readonly headers: HeaderList;
  /** The key under which the route's handler keeps this visitor's answer: the same function on both paths. */
  key(visitor: VisitorRequest): string;
  /**
   * The key under which the route's handler keeps the answer for the holder of a bearer token (`authorization` is
   * the header as sent, `url` the path and query), worked out as the handler does; null when the whole way must
   * answer (a bad token, a thread the holder may not read, bad input: the whole way says why). Routes without it
   * send every bearer request the whole way.
   */
  bearerKey?(authorization: string, url: string): Promise<string | null>;
}

export interface KeptAnswersOptions {
  /** The headers the middleware sets on every answer (security-headers.ts). */
  readonly headers: HeaderList;
  /** The session cookie's name: a request that carries one goes the whole way, signed in or not. */
  readonly sessionCookie: string;
  /** Parses the request's cookies as the middleware does (and keeps them on the request for it). */
  cookies(req: http.IncomingMessage, res: http.ServerResponse): Readonly<Record<string, unknown>>;
  locale(cookies: Readonly<Record<string, unknown>>, acceptLanguage: string | undefined): string;
  site(): VisitorSite;
  /** The Set-Cookie header of a new CSRF seed when the cookies hold none, as the pages' middleware sends it. */
  csrfCookie(cookies: Readonly<Record<string, unknown>>): string | null;
  onError(error: unknown): void;
}

/** What a request for an ActivityPub document names in Accept; browsers never send either. */
const ACTIVITY_TYPES = /application\/(activity\+json|ld\+json)/i;

const hasBody = (req: http.IncomingMessage): boolean => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

/**
 * Answers a visitor's request for something already made and kept (a thread's page or JSON, see
 * response-cache.ts) before express and its middleware run: sessions, cookies, languages, CSP and compression
 * cost many times what sending a few kept kilobytes does. The answer is the one the whole way would send, byte
 * for byte and header for header (test/http/kept-answers.test.ts compares them): the same security headers, the
 * route's own headers, the CSRF seed cookie a page gives a browser without one, and the kept answer as
 * ResponseCache.serve sends it on both paths.
 *
 * A request with a bearer token is answered the same way when the route can work out that token's key (see
 * KeptRoute.bearerKey): apps and scripts read threads with tokens, and authenticating a token from the documents
 * kept in memory costs little next to the middleware.
 *
 * Anything else goes the whole way: a request with a session cookie (a member's answer may be their own, and a
 * stale cookie is cleared there), a bearer request the route cannot key, a body, another method, an answer not kept
 * (the route's handler makes and keeps it), or a client that takes deflate but neither Brotli nor gzip (the
 * compression middleware's). A kept answer is dropped by the forum's changes and by another process's writes
 * (store/tagged-cache.ts) before it is looked up here, as on the whole way.
 */
export class KeptAnswers {
  /** Each route with every header its answers carry but the page cookie, put together once. */
  private readonly routes: { readonly route: KeptRoute; readonly headers: HeaderList }[] = [];
  private count = 0;

  constructor(private readonly options: KeptAnswersOptions) {}

  add(route: KeptRoute): void {
    this.routes.push({ route, headers: [...this.options.headers, ...route.headers] });
  }

  /** How many answers went out this way since the start. */
  get answered(): number {
    return this.count;
  }

  /**
   * Sends the kept answer and returns true, or returns false with nothing sent for the whole way to answer; for a
   * bearer request, a promise of either.
   */
  answer(req: http.IncomingMessage, res: http.ServerResponse): boolean | Promise<boolean> {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || hasBody(req)) return false;
    // Another server asking for the ActivityPub document of a page: the whole way negotiates what it gets.
    if (ACTIVITY_TYPES.test(req.headers.accept ?? '')) return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const found = this.routes.find((r) => r.route.path.test(path));
    if (!found) return false;
    const { route } = found;
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      if (route.bearerKey === undefined) return false;
      return route.bearerKey(authorization, url).then(
        (key) => {
          try {
            return key !== null && this.send(req, res, route.cache, key, found.headers);
          } catch (error) {
            // Part of the answer went out: nothing can follow it on this response.
            this.options.onError(error);
            res.destroy();
            return true;
          }
        },
        (error: unknown) => {
          this.options.onError(error);
          return false;
        },
      );
    }
    const { options } = this;
    try {
      const cookies = options.cookies(req, res);
      if (cookies[options.sessionCookie] !== undefined) return false;
      const key = route.key({ url, locale: () => options.locale(cookies, req.headers['accept-language']), site: () => options.site() });
      const seedCookie = route.kind === 'page' ? options.csrfCookie(cookies) : null;
      return this.send(req, res, route.cache, key, found.headers, seedCookie ?? undefined);
    } catch (error) {
      return this.failed(res, error);
    }
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, cache: ResponseCache, key: string, headers: HeaderList, cookie?: string): boolean {
    try {
      if (!cache.serve(req, res, key, { headers, cookie, beforeCompression: true })) return false;
    } catch (error) {
      return this.failed(res, error);
    }
    this.count++;
    return true;
  }

  private failed(res: http.ServerResponse, error: unknown): false {
    if (res.headersSent) throw error;
    // Nothing was sent: the whole way answers, on a response without the headers set here.
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    this.options.onError(error);
    return false;
  }
}
