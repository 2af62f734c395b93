import { AppError, type ErrorStatus } from '../server/core/errors.js';

/**
 * Federation's errors keep a precise code for API clients. Most show one of
 * the generic catalogue messages; those an admin meets on the federation page
 * (`own`) have a message of their own, `error.<code>`.
 */
export function federationError(status: ErrorStatus, code: string, own = false): AppError {
  const key = own ? `error.${code}` : status === 404 ? 'error.not_found' : status === 403 ? 'error.forbidden' : 'error.bad_request';
  return new AppError(status, code, key);
}
