import express, { type Request, type Response } from 'express';
import type { AppContext } from '../context.js';
import { clearSessionCookie } from '../http/auth.middleware.js';
import { anyAccount, formBody, formPost, formRedirect, formState, handle, sendPage, signedInOnly } from '../http/pages.js';
import type { FormState } from '../views/layout.js';
import {
  loginPage,
  messagePage,
  recoverPage,
  recoveredPage,
  recoveryCodesPage,
  resetPassphrasePage,
  settingsPage,
  signupPage,
  type SettingsData,
  type SettingsSection,
} from './accounts.views.js';
import { deviceCookieOf, setDeviceCookie } from './device-cookie.js';
import { setSignInCookies } from './sign-in-cookies.js';
import { ChallengeRequired } from './login-guard.js';
import { isAdmin, type SignedIn } from './accounts.service.js';
import { recoveryCodesLeft } from './account-keys.js';
import { forbidden } from '../core/errors.js';
import { setupChoices } from '../instance/instance.views.js';

/** Only same-site paths are followed after log-in, so a link cannot send a member elsewhere. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}

/** A discreet choice of the profile form as the service takes it; anything unexpected goes through for the schema to refuse. */
function discreetChoice(value: unknown): unknown {
  const choices: Record<string, boolean | null> = { default: null, on: true, off: false };
  return typeof value === 'string' && value in choices ? choices[value] : value;
}

export function accountsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { accounts, sessions, instance } = ctx;

  /** After sign-up or the first admin's setup: signed in, with the one-time recovery codes on a page no cache keeps. */
  const showRecoveryCodes = (req: Request, res: Response, result: SignedIn & { readonly recoveryCodes: readonly string[] }, message: string) => {
    setSignInCookies(res, result, ctx.cookie);
    req.account = result.account;
    res.setHeader('Cache-Control', 'no-store');
    sendPage(res, recoveryCodesPage(ctx.page(req), result.recoveryCodes, message), 201);
  };

  const signupForm = (req: Request, state?: FormState) => {
    const s = instance.settings();
    return signupPage(ctx.page(req), { mode: s.registrationMode, question: s.approvalQuestion }, state);
  };

  router.get('/signup', (req, res) => sendPage(res, signupForm(req)));
  router.post(
    '/signup',
    formPost(async (req, res) => {
      const result = await accounts.signup(formBody(req), deviceCookieOf(req));
      showRecoveryCodes(req, res, result, req.t('signup.welcome', { handle: result.account.handle }));
    }, signupForm),
  );

  router.get('/setup/:token', (req, res) => {
    if (!instance.checkSetupToken(req.params.token ?? '')) {
      sendPage(res, messagePage(ctx.page(req), req.t('setup.title'), req.t('error.setup_invalid')), 404);
      return;
    }
    sendPage(res, setupForm(req));
  });
  const setupForm = (req: Request, state?: FormState) => {
    const page = ctx.page(req);
    const action = `/setup/${encodeURIComponent(req.params.token ?? '')}`;
    return signupPage(page, { mode: 'open', question: '', action, title: req.t('setup.title'), extra: setupChoices(page, req.locale, state) }, state);
  };
  router.post(
    '/setup/:token',
    formPost(async (req, res) => {
      // The instance's country and language are checked first, and kept only once the admin exists.
      const { defaultCountry, defaultLocale, ...credentials } = formBody(req);
      const settings = ctx.instance.checkSettings({ defaultCountry, defaultLocale });
      const result = await accounts.setupAdmin(req.params.token ?? '', credentials, deviceCookieOf(req));
      await ctx.instance.updateSettings(settings);
      if (settings.defaultLocale) await ctx.relabelStarterContent(settings.defaultLocale);
      showRecoveryCodes(req, res, result, req.t('setup.done'));
    }, setupForm),
  );

  router.get('/login', (req, res) => sendPage(res, loginPage(ctx.page(req), safeNext(req.query.next))));
  router.post(
    '/login',
    formPost(
      async (req, res) => {
        const { next, challenge_nonce: nonce, challenge_solution: solution, ...credentials } = formBody(req);
        const challenge = nonce === undefined ? {} : { challenge: solution ? { nonce, solution } : { nonce } };
        let result;
        try {
          result = await accounts.login({ ...credentials, ...challenge }, deviceCookieOf(req));
        } catch (error) {
          if (!(error instanceof ChallengeRequired)) throw error;
          // The form comes back with a fresh challenge: pow.js solves it, or the member waits the time the page states.
          res.setHeader('Retry-After', String(error.retryAfter));
          const state = formState(req, error, { handle: credentials.handle });
          const page = loginPage(ctx.page(req), safeNext(next), state, { ...error.challenge, waitSeconds: error.retryAfter ?? 0 });
          sendPage(res, page, 429);
          return;
        }
        // A new session on every log-in: a cookie planted before log-in is worthless after it.
        if (req.sessionId) await sessions.end(req.account!.id, req.sessionId).catch(() => undefined);
        setSignInCookies(res, result, ctx.cookie);
        res.redirect(303, safeNext(next));
      },
      (req, state) => loginPage(ctx.page(req), safeNext((req.body as Record<string, unknown>).next), state),
    ),
  );

  router.post(
    '/logout',
    handle(async (req, res) => {
      if (req.account && req.sessionId) await sessions.end(req.account.id, req.sessionId);
      clearSessionCookie(res, ctx.cookie);
      res.redirect(303, '/');
    }),
  );

  router.get('/recover', (req, res) => sendPage(res, recoverPage(ctx.page(req))));
  router.post(
    '/recover',
    formPost(async (req, res) => {
      const result = await accounts.recover(formBody(req), deviceCookieOf(req));
      setSignInCookies(res, result, ctx.cookie);
      req.account = result.account;
      sendPage(res, recoveredPage(ctx.page(req), result.codesLeft));
    }, (req, state) => recoverPage(ctx.page(req), state)),
  );

  async function settingsData(req: Request, extra: Partial<SettingsData> = {}): Promise<SettingsData> {
    const account = await accounts.get(req.account!.id);
    return {
      displayName: account.displayName,
      locale: account.locale,
      discreet: account.discreet ?? null,
      discreetTitles: account.discreetTitles ?? null,
      sessions: await sessions.list(account.id, req.sessionId),
      tokens: await sessions.listTokens(account.id),
      recoveryCodesLeft: recoveryCodesLeft(account),
      oldRecoveryCodes: account.recoveryCodes.length > 0,
      canMove: ctx.config.federation.enabled,
      ...extra,
    };
  }

  router.use('/settings', signedInOnly(anyAccount));

  router.get('/settings', handle(async (req, res) => sendPage(res, settingsPage(ctx.page(req), await settingsData(req)))));

  /** The settings page with a user's error shown in its section. */
  const settingsForm = (section: SettingsSection) => async (req: Request, form: FormState) =>
    settingsPage(ctx.page(req), await settingsData(req), { section, form });

  /** A settings form: on success the page again with a confirmation, on a user's error the page with the error in its section. */
  function settingsPost(section: SettingsSection, action: (req: Request, res: express.Response) => Promise<Partial<SettingsData> | 'done'>) {
    return formPost(async (req, res) => {
      const outcome = await action(req, res);
      if (outcome === 'done' || res.headersSent) return;
      res.setHeader('Cache-Control', 'no-store');
      sendPage(res, settingsPage(ctx.page(req), await settingsData(req, outcome)));
    }, settingsForm(section));
  }

  router.post(
    '/settings/profile',
    settingsPost('profile', async (req) => {
      const body = formBody(req);
      req.account = await accounts.updateProfile(req.account!.id, { displayName: body.displayName, locale: body.locale || null, discreet: discreetChoice(body.discreet), discreetTitles: discreetChoice(body.discreetTitles) });
      if (req.account.locale) req.locale = req.account.locale;
      return { done: req.t('settings.saved') };
    }),
  );
  router.post(
    '/settings/passphrase',
    settingsPost('passphrase', async (req, res) => {
      const { deviceCookie } = await accounts.changePassphrase(req.account!.id, req.sessionId, formBody(req), deviceCookieOf(req));
      setDeviceCookie(res, deviceCookie, ctx.cookie.secure);
      return { done: req.t('settings.passphrase_changed') };
    }),
  );
  router.post(
    '/settings/recovery-codes',
    settingsPost('codes', async (req) => ({ newCodes: await accounts.newRecoveryCodes(req.account!.id, formBody(req)) })),
  );
  router.post(
    '/settings/sessions/:id/end',
    formRedirect((req) => sessions.end(req.account!.id, req.params.id ?? ''), '/settings#sessions', settingsForm('sessions')),
  );
  router.post(
    '/settings/logout-everywhere',
    settingsPost('sessions', async (req, res) => {
      const { deviceCookie } = await accounts.logOutEverywhere(req.account!.id, deviceCookieOf(req));
      clearSessionCookie(res, ctx.cookie);
      setDeviceCookie(res, deviceCookie, ctx.cookie.secure);
      res.redirect(303, '/login');
      return 'done';
    }),
  );
  router.post(
    '/settings/tokens',
    settingsPost('tokens', async (req) => {
      return { newToken: (await sessions.createToken({ accountId: req.account!.id, sessionId: req.sessionId }, req.memberKey, formBody(req))).token };
    }),
  );
  router.post(
    '/settings/tokens/:id/revoke',
    formRedirect((req) => sessions.revokeToken(req.account!.id, req.params.id ?? ''), '/settings#tokens', settingsForm('tokens')),
  );
  router.post(
    '/settings/delete',
    settingsPost('delete', async (req, res) => {
      await accounts.deleteAccount(req.account!.id, formBody(req));
      clearSessionCookie(res, ctx.cookie);
      req.account = null;
      sendPage(res, messagePage(ctx.page(req), req.t('settings.deleted_title'), req.t('settings.deleted')));
      return 'done';
    }),
  );
  router.get(
    '/settings/export',
    handle(async (req, res) => {
      res.setHeader('Content-Disposition', 'attachment; filename="parasol-export.json"');
      res.setHeader('Cache-Control', 'no-store');
      res.json(await accounts.exportData(req.account!.id, req.memberKey));
    }),
  );

  router.use('/admin/reset-passphrase', signedInOnly((account) => (isAdmin(account) ? null : forbidden('admin_only'))));
  router.get('/admin/reset-passphrase', (req, res) => sendPage(res, resetPassphrasePage(ctx.page(req))));
  router.post(
    '/admin/reset-passphrase',
    formPost(
      async (req, res) => {
        const target = String(formBody(req).handle ?? '').trim();
        const passphrase = await accounts.resetPassphrase(target, req.account!);
        res.setHeader('Cache-Control', 'no-store');
        sendPage(res, resetPassphrasePage(ctx.page(req), undefined, { handle: target, passphrase }));
      },
      (req, state) => resetPassphrasePage(ctx.page(req), state),
    ),
  );

  return router;
}
