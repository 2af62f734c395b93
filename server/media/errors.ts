import { AppError, type ErrorStatus, type MessageParams } from '../core/errors.js';

/** A refusal about photos, its message in the catalogues' "media" section (media.error_<code>). */
export const mediaError = (status: ErrorStatus, code: string, params: MessageParams = {}, retryAfter?: number): AppError =>
  new AppError(status, code, `media.error_${code}`, params, {}, retryAfter);
