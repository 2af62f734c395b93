import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { projectRoot } from '../paths.js';
import { iconSprite } from '../views/icons.js';
import { acceptsCoding, isFresh, strongEtag } from './response-cache.js';

const socketIoClient = path.join(projectRoot, 'node_modules', 'socket.io', 'client-dist', 'socket.io.min.js');
const clientDir = path.join(projectRoot, 'client');
const WEEK = 'public, max-age=604800';
const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=UTF-8',
  '.css': 'text/css; charset=UTF-8',
  '.svg': 'image/svg+xml',
};

interface Precompressed {
  readonly type: string;
  readonly br: Buffer;
  readonly etag: string;
}

/**
 * A file the pages load, Brotli-compressed once at the highest quality (the compression middleware's quality 4 is
 * for answers made per request): a quarter less on a cheap phone's first visit, and no compression per request.
 */
function precompress(bytes: Buffer, type: string): Precompressed {
  const br = zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  return { type, br, etag: strongEtag(bytes) };
}

/** Answers a client that takes Brotli with the request's asset, if it is one; anything else goes on to `next`. */
function servePrecompressed(asset: (req: Request) => Precompressed | null): RequestHandler {
  return (req, res, next) => {
    if (!acceptsCoding(req.headers['accept-encoding'], 'br')) return next();
    const found = asset(req);
    if (!found) return next();
    res.setHeader('Cache-Control', WEEK);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('ETag', found.etag);
    res.setHeader('Content-Type', found.type);
    if (isFresh(req, found.etag)) {
      res.status(304).end();
      return undefined;
    }
    res.setHeader('Content-Encoding', 'br');
    res.setHeader('Content-Length', String(found.br.length));
    res.end(req.method === 'HEAD' ? undefined : found.br);
    return undefined;
  };
}

/** The files of client/ with a type above, by name, each compressed at its first request. */
function clientFiles(): (name: string) => Precompressed | null {
  const names = new Set(fs.readdirSync(clientDir).filter((name) => TYPES[path.extname(name)] !== undefined));
  const made = new Map<string, Precompressed>();
  return (name) => {
    if (!names.has(name)) return null;
    let found = made.get(name);
    if (!found) {
      found = precompress(fs.readFileSync(path.join(clientDir, name)), TYPES[path.extname(name)]!);
      made.set(name, found);
    }
    return found;
  };
}

/** The files the pages load: scripts and styles from client/, the icon sprite, the socket.io client, the service worker. */
export function mountStaticAssets(app: Express): void {
  const sprite = iconSprite();
  const spriteBr = precompress(Buffer.from(sprite), TYPES['.svg']!);
  app.get('/assets/icons.svg', servePrecompressed(() => spriteBr), (_req, res) => {
    res.setHeader('Cache-Control', WEEK);
    res.type('image/svg+xml').send(sprite);
  });
  // Browsers ask for /favicon.ico where nothing names an icon, as for a photo opened on its own (media.routes.ts): that
  // view is sandboxed, an opaque origin, so the icon is given to any origin; the discreet one, which tells nothing.
  app.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.sendFile(path.join(clientDir, 'notes.svg'), { maxAge: '7d' });
  });
  // The service worker lives at the root so that its scope is the whole site.
  app.get('/sw.js', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(clientDir, 'sw.js'));
  });
  let socketIoBr: Precompressed | null = null;
  app.get('/assets/vendor/socket.io.min.js', servePrecompressed(() => (socketIoBr ??= precompress(fs.readFileSync(socketIoClient), TYPES['.js']!))), (_req, res) => {
    res.sendFile(socketIoClient, { maxAge: '7d' });
  });
  const files = clientFiles();
  app.get('/assets/:name', servePrecompressed((req) => files(req.params.name ?? '')));
  app.use('/assets', express.static(clientDir, { maxAge: '7d', index: false, fallthrough: false }));
}
