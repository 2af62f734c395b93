import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { clearSessionCookie } from '../http/auth.middleware.js';
import { AppError } from '../core/errors.js';
import {
  accountView,
  changePassphraseInput,
  confirmInput,
  deleteAccountInput,
  loginInput,
  profileInput,
  recoverInput,
  signupInput,
} from './accounts.service.js';
import { tokenInput } from './sessions.service.js';
import { recoveryCodesLeft } from './account-keys.js';
import { deviceCookieOf, setDeviceCookie } from './device-cookie.js';
import { setSignInCookies } from './sign-in-cookies.js';
import { ChallengeRequired } from './login-guard.js';

export function accountsApi(api: ApiRouter, ctx: AppContext): void {
  const { accounts, sessions } = ctx;
  const tag = 'accounts';

  api.route({
    method: 'post', path: '/accounts', tag, access: 'public', status: 201, body: signupInput,
    summary: 'Sign up with a handle and a passphrase; answers the one-time recovery codes and signs in',
    handler: async ({ req, res }) => {
      const result = await accounts.signup(req.body, deviceCookieOf(req));
      setSignInCookies(res, result, ctx.cookie);
      res.setHeader('Cache-Control', 'no-store');
      return { account: accountView(result.account), recoveryCodes: result.recoveryCodes };
    },
  });

  api.route({
    method: 'post', path: '/setup/:token', tag, access: 'public', status: 201, body: signupInput.pick({ handle: true, passphrase: true }),
    summary: 'Create the first admin with the one-time setup token printed at first start',
    handler: async ({ req, res }) => {
      const result = await accounts.setupAdmin(req.params.token ?? '', req.body, deviceCookieOf(req));
      setSignInCookies(res, result, ctx.cookie);
      res.setHeader('Cache-Control', 'no-store');
      return { account: accountView(result.account), recoveryCodes: result.recoveryCodes };
    },
  });

  api.route({
    method: 'post', path: '/sessions', tag, access: 'public', status: 201, body: loginInput,
    summary:
      'Log in; sets the session cookie and a device cookie. Only failed attempts count; past the limits, a client without ' +
      'this account\'s device cookie gets 429 challenge_required with a `challenge`: send it back as { nonce, solution } ' +
      'where SHA-256(nonce ":" handle ":" solution) starts with `difficulty` zero bits, or { nonce } after `waitUntil`',
    handler: async ({ req, res }) => {
      let result;
      try {
        result = await accounts.login(req.body, deviceCookieOf(req));
      } catch (error) {
        if (!(error instanceof ChallengeRequired)) throw error;
        res.setHeader('Retry-After', String(error.retryAfter));
        res.status(429).json({ error: { code: error.code, message: req.t(error.messageKey, error.params), challenge: error.challenge } });
        return undefined;
      }
      if (req.account && req.sessionId) await sessions.end(req.account.id, req.sessionId).catch(() => undefined);
      setSignInCookies(res, result, ctx.cookie);
      return { account: accountView(result.account), session: { id: result.sessionId } };
    },
  });

  api.route({
    method: 'get', path: '/sessions', tag, access: 'account', summary: 'List your sessions (devices where you are logged in)',
    handler: async ({ req }) => ({ sessions: await sessions.list(req.account!.id, req.sessionId) }),
  });

  api.route({
    method: 'delete', path: '/sessions/current', tag, access: 'account', summary: 'Log out this session',
    handler: async ({ req, res }) => {
      if (!req.sessionId) throw new AppError(400, 'no_session');
      await sessions.end(req.account!.id, req.sessionId);
      clearSessionCookie(res, ctx.cookie);
      return undefined;
    },
  });

  api.route({
    method: 'delete', path: '/sessions', tag, access: 'account',
    summary: 'Log out everywhere: every session (this one too), API token and device cookie of the account end, its push subscriptions are deleted and its sockets closed',
    handler: async ({ req, res }) => {
      const { ended, deviceCookie } = await accounts.logOutEverywhere(req.account!.id, deviceCookieOf(req));
      clearSessionCookie(res, ctx.cookie);
      if (req.sessionId) setDeviceCookie(res, deviceCookie, ctx.cookie.secure);
      return { ended };
    },
  });

  api.route({
    method: 'delete', path: '/sessions/:id', tag, access: 'account', summary: 'End one of your sessions',
    handler: ({ req }) => noContent(sessions.end(req.account!.id, req.params.id ?? '')),
  });

  api.route({
    method: 'post', path: '/recovery', tag, access: 'public', body: recoverInput,
    summary: 'Set a new passphrase with a one-time recovery code (the code is spent; every session and API token ends, push subscriptions are deleted)',
    handler: async ({ req, res }) => {
      const result = await accounts.recover(req.body, deviceCookieOf(req));
      setSignInCookies(res, result, ctx.cookie);
      return { account: accountView(result.account), recoveryCodesLeft: result.codesLeft };
    },
  });

  api.route({
    method: 'get', path: '/me', tag, access: 'account', summary: 'Your account',
    handler: async ({ req }) => {
      const account = req.account!;
      return { account: { ...accountView(account), recoveryCodesLeft: recoveryCodesLeft(account), discreet: account.discreet ?? null, discreetTitles: account.discreetTitles ?? null } };
    },
  });

  api.route({
    method: 'patch', path: '/me', tag, access: 'account', body: profileInput,
    summary: 'Change your display name, language, discreet mode or discreet titles (each true, false, or null for the instance default)',
    handler: async ({ req }) => {
      const account = await accounts.updateProfile(req.account!.id, req.body);
      // Only the owner sees their discreet choices: accountView is also what admins see of others.
      return { account: { ...accountView(account), discreet: account.discreet ?? null, discreetTitles: account.discreetTitles ?? null } };
    },
  });

  api.route({
    method: 'post', path: '/me/passphrase', tag, access: 'account', body: changePassphraseInput,
    summary: 'Change your passphrase (ends your other sessions and every API token, deletes push subscriptions)',
    handler: async ({ req, res }) => {
      const { deviceCookie } = await accounts.changePassphrase(req.account!.id, req.sessionId, req.body, deviceCookieOf(req));
      if (req.sessionId) setDeviceCookie(res, deviceCookie, ctx.cookie.secure);
      return undefined;
    },
  });

  api.route({
    method: 'post', path: '/me/recovery-codes', tag, access: 'account', body: confirmInput, status: 201,
    summary: 'Replace your recovery codes with ten new ones',
    handler: async ({ req, res }) => {
      res.setHeader('Cache-Control', 'no-store');
      return { recoveryCodes: await accounts.newRecoveryCodes(req.account!.id, req.body) };
    },
  });

  api.route({
    method: 'delete', path: '/me', tag, access: 'account', body: deleteAccountInput,
    summary: 'Delete your account; `content` chooses whether your posts are deleted or kept as "deleted member"',
    handler: async ({ req, res }) => {
      await accounts.deleteAccount(req.account!.id, req.body);
      clearSessionCookie(res, ctx.cookie);
      return undefined;
    },
  });

  api.route({
    method: 'get', path: '/me/export', tag, access: 'account', summary: 'Everything the instance holds about you, as JSON',
    handler: async ({ req, res }) => {
      res.setHeader('Cache-Control', 'no-store');
      return accounts.exportData(req.account!.id, req.memberKey);
    },
  });

  api.route({
    method: 'post', path: '/tokens', tag, access: 'account', body: tokenInput, status: 201,
    summary: 'Create a personal API token (shown once) for the Authorization: Bearer header; needs a session (a token cannot make tokens)',
    handler: async ({ req, res }) => {
      const { token, view } = await sessions.createToken({ accountId: req.account!.id, sessionId: req.sessionId }, req.memberKey, req.body);
      res.setHeader('Cache-Control', 'no-store');
      return { ...view, token };
    },
  });

  api.route({
    method: 'get', path: '/tokens', tag, access: 'account',
    summary: 'List your API tokens; every one ends with log-out everywhere, recovery, a passphrase change or an admin’s reset',
    handler: async ({ req }) => ({ tokens: await sessions.listTokens(req.account!.id) }),
  });

  api.route({
    method: 'delete', path: '/tokens/:id', tag, access: 'account', summary: 'Revoke an API token',
    handler: ({ req }) => noContent(sessions.revokeToken(req.account!.id, req.params.id ?? '')),
  });

  api.route({
    method: 'post', path: '/admin/accounts/:handle/passphrase-reset', tag, access: 'admin', status: 201,
    summary: 'Set a generated passphrase for a member (shown once); every session and API token of theirs ends',
    handler: async ({ req, res }) => {
      res.setHeader('Cache-Control', 'no-store');
      return { passphrase: await accounts.resetPassphrase(req.params.handle ?? '', req.account!) };
    },
  });
}
