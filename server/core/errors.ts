/**
 * Errors a user can cause. Every one carries an HTTP status, a stable code for
 * API clients and a catalogue key so that the page and the JSON answer show the
 * message in the user's language (503: the server cannot keep anything now, its
 * storage being full). Anything else that reaches the error handler is our bug
 * and answers 500.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

export type MessageParams = Readonly<Record<string, string | number>>;

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    /** Catalogue key of the message; defaults to `error.<code>`. */
    readonly messageKey: string = `error.${code}`,
    readonly params: MessageParams = {},
    /** Per-field messages (catalogue keys with params) for forms and API clients. */
    readonly fields: Readonly<Record<string, { key: string; params: MessageParams }>> = {},
    /** Seconds until a rate-limited action (or anything, while the storage is full) may be tried again. */
    readonly retryAfter?: number,
  ) {
    super(code);
  }
}

export const badRequest = (code: string, params?: MessageParams) => new AppError(400, code, undefined, params);
export const unauthorized = (code = 'unauthorized') => new AppError(401, code);
export const forbidden = (code = 'forbidden') => new AppError(403, code);
export const notFound = (code = 'not_found') => new AppError(404, code);
export const conflict = (code: string, params?: MessageParams) => new AppError(409, code, undefined, params);
export const unprocessable = (code: string, params?: MessageParams) => new AppError(422, code, undefined, params);
/**
 * What a person calls a field, as one word that error.validation_failed's select turns into the label in their
 * language ("Please check your made-up name"); a field without a label there reads as "the marked fields".
 */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  handle: 'handle', target: 'handle', moderators: 'handle',
  passphrase: 'passphrase', newPassphrase: 'passphrase', currentPassphrase: 'passphrase',
  name: 'name', alias: 'name', discreetName: 'name',
  title: 'title',
  body: 'body', text: 'body', description: 'body', notes: 'body', help: 'body', content: 'body',
  reason: 'reason', note: 'reason',
  area: 'area',
  identifier: 'identifier', identifiers: 'identifier', value: 'identifier', client: 'identifier',
  language: 'language', locale: 'language', offeredLocales: 'language', defaultLocale: 'language',
  code: 'code', invite: 'code',
  answer: 'answer',
  minutes: 'duration', hours: 'duration', days: 'duration', expectedEnd: 'duration', retentionDays: 'duration',
  buddies: 'buddies',
  incidentMonth: 'date', incidentDay: 'date',
  url: 'address', quickExitUrl: 'address', slug: 'address',
  defaultCountry: 'country',
  kind: 'kind', category: 'kind', categories: 'kind', severity: 'kind',
};

/** The label word of a field path ("identifiers.0.value" is the identifier); see FIELD_LABELS. */
export function fieldLabel(field: string): string {
  return FIELD_LABELS[field.split('.')[0] ?? ''] ?? 'other';
}

/** A 422 naming the one field at fault, with its message (a catalogue key), as schema validation answers. */
export const fieldError = (field: string, key: string, params: MessageParams = {}) =>
  new AppError(422, 'validation_failed', 'error.validation_failed', { field: fieldLabel(field) }, { [field]: { key, params } });
export const tooManyRequests = (retryAfter: number) =>
  new AppError(429, 'rate_limited', undefined, { seconds: retryAfter }, {}, retryAfter);
