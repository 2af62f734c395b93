import express, { type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, unauthorized } from '../core/errors.js';
import { mediaError } from './errors.js';
import type { ApiRouter } from '../http/api-router.js';
import { handle } from '../http/pages.js';
import { CONTEXT_KINDS } from './media.collections.js';
import { NO_PHOTOS, type MediaService, type PreparedPhotos, type Variant, type Viewer } from './media.service.js';
import { MAX_PHOTOS } from './media.schemas.js';
import { boundaryOf, parseMultipart, type UploadedFile } from './multipart.js';
import { MAX_PHOTO_BYTES } from './pipeline.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- express's own way to type request fields
  namespace Express {
    interface Request {
      /** The files of a multipart/form-data post (photos), read into memory only; empty for other posts. */
      uploads?: UploadedFile[];
      /** The text that goes with them (alt, sensitive), kept out of req.body, which the services validate strictly. */
      photoFields?: { readonly alt?: string | string[]; readonly sensitive?: string | string[] };
    }
  }
}

/** Four photos at the limit, and the text fields beside them. */
const MAX_BODY_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024;
const readRaw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });

/**
 * Reads a multipart/form-data POST into memory (never to a temporary file) and parses it: its text fields become
 * req.body as a urlencoded form's would (for the API, the JSON document in the `body` field), its files
 * req.uploads. Only for signed-in accounts, so that a visitor cannot make the server hold 50 MB. A cookie-signed API
 * call must carry X-Requested-With, which no cross-site form can send (the JSON API's own guard is its JSON body).
 */
export function multipartBody(): RequestHandler {
  return (req, res, next) => {
    const boundary = req.method === 'POST' ? boundaryOf(req.headers['content-type']) : null;
    if (boundary === null) {
      next();
      return;
    }
    if (!req.account) {
      next(unauthorized('login_required'));
      return;
    }
    const api = req.path.startsWith('/api/');
    if (api && !req.viaBearer && req.headers['x-requested-with'] === undefined) {
      next(new AppError(403, 'csrf_failed'));
      return;
    }
    readRaw(req, res, (error?: unknown) => {
      if (error !== undefined) {
        next(error);
        return;
      }
      try {
        const { fields, files } = parseMultipart(req.body as Buffer, boundary, { files: MAX_PHOTOS, fields: 100, fieldBytes: 64 * 1024 });
        const { alt, sensitive, ...rest } = fields;
        req.uploads = files;
        req.photoFields = { alt, sensitive };
        req.body = api ? apiBody(rest.body) : rest;
        next();
      } catch (parseError) {
        next(parseError);
      }
    });
  };
}

function apiBody(text: string | string[] | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  if (typeof text !== 'string') throw new AppError(400, 'bad_json');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AppError(400, 'bad_json');
    return parsed as Record<string, unknown>;
  } catch {
    throw new AppError(400, 'bad_json');
  }
}

const FILE_EXTENSION: Record<string, string> = { 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/png': 'png' };

/**
 * /media/:id and /media/:id/thumb: the access to the photo's context is checked on every request, and the answer
 * can never run as a page (a sandbox CSP, nosniff, a neutral file name). Outside public boards it is never kept
 * by a browser cache or a proxy; the service worker leaves /media/ alone too.
 */
export function mediaPages(media: MediaService): express.Router {
  const router = express.Router();
  const serve = (variant: Variant): RequestHandler =>
    handle(async (req: Request, res) => {
      const { bytes, mediaType, isPublic } = await media.read(String(req.params.id), variant, { account: req.account, memberKey: req.memberKey ?? null });
      res.setHeader('Content-Type', mediaType);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Disposition', `inline; filename="photo.${FILE_EXTENSION[mediaType] ?? 'jpg'}"`);
      // A browser opening the photo as a page makes its own image document, which styles itself inline.
      res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox");
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      res.setHeader('Cache-Control', isPublic ? 'public, max-age=3600' : 'private, no-store');
      res.send(bytes);
    });
  router.get('/media/:id', serve('large'));
  router.get('/media/:id/thumb', serve('thumb'));
  return router;
}

const tag = 'media';
const kindParam = z.enum(CONTEXT_KINDS);

export function mediaApi(api: ApiRouter, media: MediaService): void {
  api.route({
    method: 'get', path: '/media/:kind/:contextId', tag, access: 'public',
    summary: 'The photos of a post, warning, room message, check-in, incident report, private message, report on one, or mirrored post of another server (by its IRI) you may see (kind: post, warning, room_message, checkin, incident, conversation_message, conversation_report, remote_post)',
    handler: async ({ req, account }) => {
      const kind = kindParam.safeParse(req.params.kind);
      if (!kind.success) throw mediaError(404, 'photo_not_found');
      return { photos: await media.listFor(kind.data, String(req.params.contextId), { account, memberKey: req.memberKey ?? null }) };
    },
  });
}

/**
 * The photos of a request (none for a JSON or urlencoded one), checked and re-encoded before anything is written.
 * `blindedId` gives, for an upload that must not count against the account (an anonymous post or warning, a room
 * message), the member's blinded id in its context, which the day's quota then counts under; null or left out: a
 * named upload, counted under the account. Asked only when there are photos.
 */
export async function preparePhotos(media: MediaService, req: Request, blindedId?: () => Promise<string | null>): Promise<PreparedPhotos> {
  if (!req.uploads || req.uploads.length === 0 || !req.account) return NO_PHOTOS;
  const blinded = (await blindedId?.()) ?? null;
  return media.prepare(req.uploads, req.photoFields ?? {}, blinded ?? req.account.id, req.t('photos_ui.alt_default'), blinded !== null);
}

export const viewerOf = (req: Request): Viewer => ({ account: req.account, memberKey: req.memberKey ?? null });
