import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SafeHtml } from '../views/html.js';
import type { FormState } from '../views/layout.js';
import { AppError, forbidden } from '../core/errors.js';

type SignedIn = NonNullable<Request['account']>;

/** Members still waiting for approval are turned away from members' pages. */
export const awaitingApproval = (account: SignedIn): AppError | null => (account.status !== 'active' ? forbidden('pending_approval') : null);
/** Pages for every signed-in account, also one awaiting approval (its settings, notifications, safety tools). */
export const anyAccount = (): AppError | null => null;
/**
 * Pages for the accounts `allowed` accepts (a role check the accounts module owns, such as its isStaff), others get
 * 403 with `refusal`'s message.
 */
export const onlyWhen =
  (allowed: (account: SignedIn) => boolean, refusal = 'moderator_only') =>
  (account: SignedIn): AppError | null =>
    allowed(account) ? null : forbidden(refusal);

/**
 * Pages for signed-in accounts: a visitor is sent to log in (and brought back after), an account `refuse` names is
 * turned away, and the pages get `cacheControl` when given.
 */
export function signedInOnly(refuse: (account: SignedIn) => AppError | null = awaitingApproval, cacheControl?: string): RequestHandler {
  return (req, res, next) => {
    if (!req.account) {
      res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    const refusal = refuse(req.account);
    if (refusal) {
      next(refusal);
      return;
    }
    if (cacheControl) res.setHeader('Cache-Control', cacheControl);
    next();
  };
}

/** Wraps an async express handler so that a rejection reaches the error handler. */
export function handle(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    fn(req, res, next).catch(next);
  };
}

export function sendPage(res: Response, page: SafeHtml, status = 200): void {
  res.status(status).type('html').send(page.value);
}

/** Turns a user's error into what a form shows: the message and each field's problem, in the user's language. */
export function formState(req: Request, error: AppError, values: Record<string, unknown>): FormState {
  const fieldErrors: Record<string, string> = {};
  for (const [name, problem] of Object.entries(error.fields)) fieldErrors[name] = req.t(problem.key, problem.params);
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k === '_csrf') continue;
    if (typeof v === 'string') shown[k] = v;
    // Repeated fields (checkboxes) come back as a list: kept comma-joined for the form to re-tick.
    else if (Array.isArray(v)) shown[k] = v.filter((x) => typeof x === 'string').join(',');
  }
  return { values: shown, error: req.t(error.messageKey, error.params), fieldErrors };
}

/**
 * The body of a form post without the CSRF token, ready for a service's schema. A form sends every value as text,
 * and the schemas take numbers only as JSON numbers (a string is refused, never guessed at): the fields named in
 * `numbers` are decoded here, an empty one as absent and whole numbers as numbers; anything else is left as text for
 * the schema to refuse.
 */
export function formBody(req: Request, numbers: readonly string[] = []): Record<string, unknown> {
  const { _csrf: _token, ...rest } = (req.body ?? {}) as Record<string, unknown>;
  for (const name of numbers) {
    const value = Array.isArray(rest[name]) ? (rest[name] as unknown[]).at(-1) : rest[name];
    if (value === '') delete rest[name];
    else if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) rest[name] = Number(value);
  }
  return rest;
}

/**
 * A form post: runs `action`; when it fails with a user's error, answers the
 * form again with the error shown and the values kept (never a blank page).
 */
export function formPost(
  action: (req: Request, res: Response) => Promise<void>,
  renderForm: (req: Request, state: FormState) => SafeHtml | Promise<SafeHtml>,
): RequestHandler {
  return handle(async (req, res) => {
    try {
      await action(req, res);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.retryAfter) res.setHeader('Retry-After', String(error.retryAfter));
      sendPage(res, await renderForm(req, formState(req, error, formBody(req))), error.status);
    }
  });
}

/** formPost() for an action that, once done, sends the browser on with a 303 (a reload then does not post again). */
export function formRedirect(
  action: (req: Request) => Promise<unknown>,
  to: string | ((req: Request) => string),
  renderForm: (req: Request, state: FormState) => SafeHtml | Promise<SafeHtml>,
): RequestHandler {
  return formPost(async (req, res) => {
    await action(req);
    res.redirect(303, typeof to === 'string' ? to : to(req));
  }, renderForm);
}
