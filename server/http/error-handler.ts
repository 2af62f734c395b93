import type { ErrorRequestHandler, Request } from 'express';
import { AppError } from '../core/errors.js';
import { InvalidCursorError } from '../store/port.js';
import type { I18n } from '../i18n/i18n.js';
import type { Logger } from '../logger.js';
import type { SafeHtml } from '../views/html.js';
import { sendPage } from './pages.js';

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/** Maps what body parsers and express throw at bad input onto clear 4xx answers. */
export function fromFrameworkError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (error instanceof InvalidCursorError) return new AppError(400, 'bad_cursor');
  const e = (error ?? {}) as HttpishError;
  switch (e.type) {
    case 'entity.too.large':
      return new AppError(413, 'body_too_large');
    case 'entity.parse.failed':
      return new AppError(400, 'bad_json');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding');
    case 'parameters.too.many':
      return new AppError(413, 'too_many_fields');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError(400, 'bad_request');
  }
  const status = e.status ?? e.statusCode;
  if (error instanceof URIError || (typeof status === 'number' && status >= 400 && status < 500)) {
    return status === 404 ? new AppError(404, 'not_found') : new AppError(400, 'bad_request');
  }
  return null;
}

/** How long a person is asked to wait when the storage is full: the admins need time to make room. */
export const STORAGE_FULL_RETRY_SECONDS = 300;
/** A full disk fails every write: it is logged once a minute at most, not once per request. */
export const STORAGE_FULL_LOG_EVERY_MS = 60_000;

/**
 * Whether an error says the storage is full: SQLite's SQLITE_FULL, the file system's ENOSPC, PostgreSQL's
 * disk_full (53100), also when wrapped by the layer that caught it.
 */
export function isStorageFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100') return true;
  }
  return false;
}

export interface ErrorPages {
  readonly i18n: I18n;
  readonly logger: Logger;
  /** The page that shows an error's title and message in the request's language. */
  readonly messagePage: (req: Request, title: string, message: string) => SafeHtml;
  /** When the storage was last logged as full; a test's clock, or the system's. */
  readonly now?: () => number;
}

/** Answers every error as JSON under /api/ and as a page elsewhere; only our own bugs answer 500. */
export function errorHandler(ctx: ErrorPages): ErrorRequestHandler {
  const now = ctx.now ?? Date.now;
  let fullLoggedAt = -Infinity;
  /** A full disk is the organisation's to fix, not the person's: it is told in the log, and the person to come back. */
  const storageFull = (): AppError => {
    if (now() - fullLoggedAt >= STORAGE_FULL_LOG_EVERY_MS) {
      fullLoggedAt = now();
      ctx.logger.error('storage is full: writes fail until space is freed (answering 503; logged at most once a minute)');
    }
    return new AppError(503, 'storage_full', 'error.storage_full', undefined, {}, STORAGE_FULL_RETRY_SECONDS);
  };
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const appError = fromFrameworkError(error) ?? (isStorageFull(error) ? storageFull() : null);
    if (!req.t) req.t = (key, params) => ctx.i18n.t(ctx.i18n.defaultLocale, key, params);
    const status = appError?.status ?? 500;
    if (!appError) ctx.logger.error({ err: error, method: req.method, route: req.route?.path as unknown }, 'unhandled error');
    if (appError?.retryAfter) res.setHeader('Retry-After', String(appError.retryAfter));
    const code = appError?.code ?? 'internal';
    const message = req.t(appError?.messageKey ?? 'error.internal', appError?.params);
    if (req.originalUrl.startsWith('/api/')) {
      const fields = appError ? Object.fromEntries(Object.entries(appError.fields).map(([k, v]) => [k, req.t(v.key, v.params)])) : {};
      res.status(status).json({ error: { code, message, ...(Object.keys(fields).length ? { fields } : {}) } });
      return;
    }
    if (!req.csrfToken) req.csrfToken = '';
    sendPage(res, ctx.messagePage(req, req.t('error.title'), message), status);
  };
}
