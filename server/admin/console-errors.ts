import { AppError, type ErrorStatus } from '../core/errors.js';

/** The console's own refusals: a stable code for API clients, a message from the console's part of the catalogues. */
export const consoleError = (status: ErrorStatus, code: string): AppError => new AppError(status, code, `admin_console.error_${code}`);
