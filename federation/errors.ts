import { AppError, type ErrorStatus } from '../server/http/errors.js';

/**
 * Federation's errors keep a precise code for API clients but show one of the
 * generic catalogue messages, so federation adds no locale keys of its own.
 */
export function federationError(status: ErrorStatus, code: string): AppError {
  const key = status === 404 ? 'error.not_found' : status === 403 ? 'error.forbidden' : 'error.bad_request';
  return new AppError(status, code, key);
}
