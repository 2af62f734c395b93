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

export interface ErrorPages {
  readonly i18n: I18n;
  readonly logger: Logger;
  /** The page that shows an error's title and message in the request's language. */
  readonly messagePage: (req: Request, title: string, message: string) => SafeHtml;
}

/** Answers every error as JSON under /api/ and as a page elsewhere; only our own bugs answer 500. */
export function errorHandler(ctx: ErrorPages): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const appError = fromFrameworkError(error);
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
