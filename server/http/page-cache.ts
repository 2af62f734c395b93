import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Request, Response } from 'express';
import { createTaggedCache } from '../store/tagged-cache.js';

/**
 * Pages as visitors (no account) see them, rendered once and kept compressed.
 *
 * A visitor's page is the same for every visitor with the same language, so
 * the forum's most-read pages need not be read from the database, rendered and
 * compressed again for each of them (the way Discourse serves its anonymous
 * readers). An entry is tagged (a thread id): the forum drops a tag's entries
 * the moment anything on that thread changes, so replies, edits and removals
 * show at once. Changes elsewhere that touch many pages (a renamed member)
 * reach visitors when the entry's lifetime ends.
 */
export interface PageCache {
  /** Answers from the cache and returns true, or returns false when there is no fresh entry. */
  serve(req: Request, res: Response, key: string): boolean;
  /** Taken before reading what a page shows: `store` refuses a page rendered while something changed. */
  version(): number;
  store(key: string, tag: string, html: string, version: number): void;
  /** Drops the entries with this tag, or every entry. */
  invalidate(tag: string | null): void;
  readonly size: number;
}

/** Kept compressed only (a tenth of the size); the rare client without Brotli costs a conversion. */
interface CachedPage {
  readonly br: Buffer;
  readonly etag: string;
  gzip?: Buffer;
}

type Encoding = 'br' | 'gzip' | 'identity';

export function createPageCache(options: { maxEntries: number; ttlMs: number; now?: () => number }): PageCache {
  const cache = createTaggedCache<CachedPage>(options);

  function body(page: CachedPage, encoding: Encoding): Buffer {
    if (encoding === 'br') return page.br;
    const html = zlib.brotliDecompressSync(page.br);
    if (encoding === 'gzip') {
      page.gzip ??= zlib.gzipSync(html);
      return page.gzip;
    }
    return html;
  }

  return {
    serve(req, res, key) {
      const page = cache.get(key);
      if (!page) return false;
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('ETag', page.etag);
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.fresh) {
        res.status(304).end();
        return true;
      }
      // Brotli whenever the client takes it (browsers list gzip first but br is smaller).
      const encoding: Encoding = req.acceptsEncodings('br') ? 'br' : req.acceptsEncodings('gzip') ? 'gzip' : 'identity';
      const bytes = body(page, encoding);
      if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
      res.setHeader('Content-Length', String(bytes.length));
      res.status(200).end(req.method === 'HEAD' ? undefined : bytes);
      return true;
    },

    version: () => cache.version(),

    store(key, tag, html, version) {
      // A change during the render may not be in this html: keeping it would show the old page until it expires.
      if (version !== cache.version()) return;
      const bytes = Buffer.from(html, 'utf8');
      const etag = `"${crypto.createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
      // One step above what per-request compression uses (4): it is paid once per entry, not per visitor.
      const br = zlib.brotliCompressSync(bytes, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
          [zlib.constants.BROTLI_PARAM_LGWIN]: 18,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      });
      cache.set(key, tag, { br, etag }, version);
    },

    invalidate: (tag) => cache.invalidate(tag),

    get size() {
      return cache.size;
    },
  };
}
