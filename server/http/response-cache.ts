import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Request, Response } from 'express';
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
 * entry before the next answer (see store/tagged-cache.ts).
 */
export interface ResponseCache {
  /** Answers from the cache and returns true, or returns false when there is no fresh entry. */
  serve(req: Request, res: Response, key: string): boolean;
  /** Taken before reading what an answer shows: `store` refuses an answer made while something changed. */
  version(): number;
  store(key: string, tag: string, body: string, version: number): void;
  /** Drops the entries with this tag, or every entry. */
  invalidate(tag: string | null): void;
  readonly size: number;
}

/** Kept compressed only (a tenth of the size); the rare client without Brotli costs a conversion. */
interface CachedAnswer {
  readonly br: Buffer;
  readonly etag: string;
  gzip?: Buffer;
}

type Encoding = 'br' | 'gzip' | 'identity';

/**
 * A copy of exactly its length: zlib's output is a view of a larger block (16 KB for a 7 KB page), and a
 * cached view keeps the whole block alive; thousands of them were most of the server's memory under load.
 */
const exact = (view: Buffer): Buffer => Buffer.from(view);

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

  return {
    serve(req, res, key) {
      const answer = cache.get(key);
      if (!answer) return false;
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('ETag', answer.etag);
      res.setHeader('Content-Type', contentType);
      if (req.fresh) {
        res.status(304).end();
        return true;
      }
      // Brotli whenever the client takes it (browsers list gzip first but br is smaller).
      const encoding: Encoding = req.acceptsEncodings('br') ? 'br' : req.acceptsEncodings('gzip') ? 'gzip' : 'identity';
      const bytes = body(answer, encoding);
      if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
      res.setHeader('Content-Length', String(bytes.length));
      res.status(200).end(req.method === 'HEAD' ? undefined : bytes);
      return true;
    },

    version: () => cache.version(),

    store(key, tag, text, version) {
      // A change during the render may not be in this answer: keeping it would show the old one until it expires.
      if (version !== cache.version()) return;
      const bytes = Buffer.from(text, 'utf8');
      const etag = `"${crypto.createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
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
