import crypto from 'node:crypto';
import type http from 'node:http';
import zlib from 'node:zlib';
import { ShortKeyMemo } from '../core/short-key-memo.js';
import { createTaggedCache } from '../store/tagged-cache.js';

/**
 * Answers that many readers get byte for byte, made once and kept compressed.
 *
 * A visitor's thread page is the same for every visitor with the same
 * language, and a thread's JSON is the same for every member who has no post
 * or reaction on the page and moderates nothing there, so the forum's
 * most-read answers need not be read from the database, rendered and
 * compressed again for each of them (the way Discourse serves its anonymous
 * readers). A member with something of their own there gets an answer kept
 * under their id, as fresh. An entry is tagged (a thread id): the forum drops
 * a tag's entries the moment anything on that thread changes, so replies,
 * edits and removals show at once. Changes elsewhere that touch many answers (a renamed member)
 * reach readers when the entry's lifetime ends. A write by another process
 * (several processes share one database, see server/cluster/) drops every
 * entry before the next answer (see store/tagged-cache.ts). A visitor's
 * answers are kept under their address and language and go out before the
 * middleware (http/kept-answers.ts).
 */
export interface ResponseCache {
  /**
   * Answers from the cache and returns true, or returns false when there is no fresh entry (nothing sent, no
   * header set). The same code answers behind the middleware and before it (http/kept-answers.ts), so that both
   * send the same bytes and headers.
   */
  serve(req: http.IncomingMessage, res: http.ServerResponse, key: string, options?: ServeOptions): boolean;
  /** Taken before reading what an answer shows: `store` refuses an answer made while something changed. */
  version(): number;
  store(key: string, tag: string, body: string, version: number): void;
  /** Drops the entries with this tag, or every entry. */
  invalidate(tag: string | null): void;
  readonly size: number;
}

export type HeaderList = readonly (readonly [string, string])[];

export interface ServeOptions {
  /**
   * The headers the middleware would have set (kept-answers.ts), for an answer before the middleware: the response
   * has none set yet. The same list object on every request: how it is sent is worked out once per list.
   */
  readonly headers?: HeaderList;
  /** A Set-Cookie header that follows `headers` (the CSRF seed a page gives a browser without one). */
  readonly cookie?: string;
  /**
   * Answers only what the compression middleware would leave as it is: an uncompressed answer to a client that
   * takes deflate (but neither Brotli nor gzip) is for the middleware to compress.
   */
  readonly beforeCompression?: boolean;
}

/** Kept compressed only (a tenth of the size); the rare client without Brotli costs a conversion. */
interface CachedAnswer {
  readonly br: Buffer;
  readonly etag: string;
  gzip?: Buffer;
}

const ENCODINGS = ['br', 'gzip', 'identity'] as const;
type Encoding = (typeof ENCODINGS)[number];

/**
 * A copy of exactly its length: zlib's output is a view of a larger block (16 KB for a 7 KB page), and a
 * cached view keeps the whole block alive; thousands of them were most of the server's memory under load.
 */
const exact = (view: Buffer): Buffer => Buffer.from(view);

/** A strong ETag for these bytes: the same bytes, the same tag, on every process. */
export const strongEtag = (bytes: Buffer): string => `"${crypto.createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;

/** A request's `no-cache`, which asks for the answer itself rather than a 304. */
const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

/**
 * Whether a conditional GET may be answered 304, as express's req.fresh decides it for an answer with this ETag
 * and no Last-Modified (so an If-Modified-Since alone, or beside a matching If-None-Match, never is).
 */
export function isFresh(req: http.IncomingMessage, etag: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const noneMatch = req.headers['if-none-match'];
  if (!noneMatch || req.headers['if-modified-since'] !== undefined) return false;
  const cacheControl = req.headers['cache-control'];
  if (cacheControl && NO_CACHE.test(cacheControl)) return false;
  if (noneMatch === '*') return true;
  return noneMatch.split(',').some((part) => {
    const tag = part.trim();
    return tag === etag || tag === `W/${etag}`;
  });
}

/**
 * Whether an Accept-Encoding header takes `coding`: named with a quality above 0, or not named while `*` is.
 * No header takes only the identity.
 */
export function acceptsCoding(header: string | undefined, coding: string): boolean {
  if (!header) return false;
  let named = -1;
  let any = -1;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';');
    const token = name.trim().toLowerCase();
    if (token !== coding && token !== '*') continue;
    let quality = 1;
    for (const param of params) {
      const [k = '', v = ''] = param.split('=');
      if (k.trim().toLowerCase() === 'q') quality = Number.parseFloat(v) || 0;
    }
    if (token === coding) named = Math.max(named, quality);
    else any = Math.max(any, quality);
  }
  return (named >= 0 ? named : any) > 0;
}

/** What a client takes, from its Accept-Encoding: the answer's encoding, and whether it takes deflate besides. */
interface Taken {
  readonly encoding: Encoding;
  /** Takes deflate but neither Brotli nor gzip: the compression middleware's to answer. */
  readonly deflateOnly: boolean;
}

/** Accept-Encoding values as they were read. */
const takenBy = new ShortKeyMemo<Taken>(64, 128);
const TAKES_NOTHING: Taken = { encoding: 'identity', deflateOnly: false };

function taken(header: string | undefined): Taken {
  if (!header) return TAKES_NOTHING;
  return takenBy.get(header, () => {
    // Brotli whenever the client takes it (browsers list gzip first but br is smaller).
    const encoding: Encoding = acceptsCoding(header, 'br') ? 'br' : acceptsCoding(header, 'gzip') ? 'gzip' : 'identity';
    return { encoding, deflateOnly: encoding === 'identity' && acceptsCoding(header, 'deflate') };
  });
}

/** What the request's headers say of an answer: its Vary, added to what the route varies on already. */
function varyWith(vary: string): string {
  return vary === '' ? 'Accept-Encoding' : /accept-encoding/i.test(vary) ? vary : `${vary}, Accept-Encoding`;
}

/** Stand-ins for the values of one answer in a header block worked out once (no header value can hold a NUL). */
const COOKIE = '\u0000cookie';
const ETAG = '\u0000etag';
const LENGTH = '\u0000length';

/**
 * The headers of a kept answer sent before the middleware, flat (name, value, name, value…) as writeHead takes them,
 * with the answer's own values to fill in. They are in the order and spelling that setting them one by one on an
 * empty response gives (a name set again keeps its place and takes the later spelling and value), so that the bytes
 * sent are those of setting them one by one, which is what the whole way does.
 */
interface HeaderBlock {
  readonly flat: readonly string[];
  readonly cookieAt: number;
  readonly etagAt: number;
  readonly lengthAt: number;
}

function headerBlock(headers: HeaderList, cookie: boolean, contentType: string, encoding: Encoding, notModified: boolean): HeaderBlock {
  const byName = new Map<string, readonly [string, string]>();
  const set = (name: string, value: string) => byName.set(name.toLowerCase(), [name, value]);
  for (const [name, value] of headers) set(name, value);
  if (cookie) set('Set-Cookie', COOKIE);
  set('Vary', varyWith(byName.get('vary')?.[1] ?? ''));
  set('ETag', ETAG);
  set('Content-Type', contentType);
  if (!notModified) {
    if (encoding !== 'identity') set('Content-Encoding', encoding);
    set('Content-Length', LENGTH);
  }
  const flat = [...byName.values()].flat();
  return { flat, cookieAt: flat.indexOf(COOKIE), etagAt: flat.indexOf(ETAG), lengthAt: flat.indexOf(LENGTH) };
}

export interface ResponseCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** `text/html; charset=utf-8` unless given. */
  readonly contentType?: string;
  readonly now?: () => number;
}

export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const cache = createTaggedCache<CachedAnswer>(options);
  const contentType = options.contentType ?? 'text/html; charset=utf-8';

  function body(answer: CachedAnswer, encoding: Encoding): Buffer {
    if (encoding === 'br') return answer.br;
    const plain = zlib.brotliDecompressSync(answer.br);
    if (encoding === 'gzip') {
      answer.gzip ??= exact(zlib.gzipSync(plain));
      return answer.gzip;
    }
    return plain;
  }

  /** Each header list sent before the middleware, with its blocks by cookie and by encoding or 304 (see headerBlock). */
  const blocks = new WeakMap<HeaderList, (HeaderBlock | undefined)[]>();

  function blockFor(headers: HeaderList, cookie: string | undefined, encoding: Encoding, notModified: boolean): HeaderBlock {
    let ofList = blocks.get(headers);
    if (ofList === undefined) {
      ofList = [];
      blocks.set(headers, ofList);
    }
    const variant = (cookie === undefined ? 0 : 4) + (notModified ? 3 : ENCODINGS.indexOf(encoding));
    return (ofList[variant] ??= headerBlock(headers, cookie !== undefined, contentType, encoding, notModified));
  }

  /** Before the middleware: nothing is set on the response yet, and all its headers go in one writeHead. */
  function sendBefore(req: http.IncomingMessage, res: http.ServerResponse, answer: CachedAnswer, encoding: Encoding, headers: HeaderList, cookie: string | undefined): void {
    const notModified = isFresh(req, answer.etag);
    const block = blockFor(headers, cookie, encoding, notModified);
    const flat = block.flat.slice();
    if (cookie !== undefined) flat[block.cookieAt] = cookie;
    flat[block.etagAt] = answer.etag;
    if (notModified) {
      res.writeHead(304, flat);
      res.end();
      return;
    }
    const bytes = body(answer, encoding);
    flat[block.lengthAt] = String(bytes.length);
    res.writeHead(200, flat);
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  return {
    serve(req, res, key, options = {}) {
      const answer = cache.get(key);
      if (!answer) return false;
      const { encoding, deflateOnly } = taken(req.headers['accept-encoding']);
      if (options.beforeCompression && deflateOnly) return false;
      if (options.headers !== undefined) {
        sendBefore(req, res, answer, encoding, options.headers, options.cookie);
        return true;
      }
      // Added to what the route varies on already (a page that may also answer as ActivityPub varies on Accept).
      res.setHeader('Vary', varyWith(String(res.getHeader('Vary') ?? '')));
      res.setHeader('ETag', answer.etag);
      res.setHeader('Content-Type', contentType);
      if (isFresh(req, answer.etag)) {
        res.statusCode = 304;
        res.end();
        return true;
      }
      const bytes = body(answer, encoding);
      if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
      res.setHeader('Content-Length', String(bytes.length));
      res.statusCode = 200;
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return true;
    },

    version: () => cache.version(),

    store(key, tag, text, version) {
      // A change during the render may not be in this answer: keeping it would show the old one until it expires.
      if (version !== cache.version()) return;
      const bytes = Buffer.from(text, 'utf8');
      const etag = strongEtag(bytes);
      // The first reader of every page after each change waits for this with every other request. On a thread's
      // page or JSON, quality 3 takes about 0.17 ms where 4 takes 0.27 and 5 takes 0.35, for answers 2 to 5 %
      // larger than 4's and 7 to 10 % larger than 5's.
      const br = exact(zlib.brotliCompressSync(bytes, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 3,
          [zlib.constants.BROTLI_PARAM_LGWIN]: 18,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }));
      cache.set(key, tag, { br, etag }, version);
    },

    invalidate: (tag) => cache.invalidate(tag),

    get size() {
      return cache.size;
    },
  };
}
