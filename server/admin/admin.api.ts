import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { accountView, roleInput } from '../accounts/accounts.service.js';
import { parseInput } from '../core/validate.js';
import { settingsInput } from '../instance/instance.schemas.js';
import { inviteInput, responderInput, trustedInput } from './admin.schemas.js';
import type { AdminServices } from './admin.module.js';
import { consoleApi } from './console.api.js';

export function adminApi(api: ApiRouter, ctx: AppContext, services: AdminServices): void {
  const { accounts, instance, invites } = ctx;
  const tag = 'admin';

  api.route({
    method: 'get', path: '/admin/settings', tag, access: 'admin', summary: 'Instance settings',
    handler: async () => ({ settings: instance.settings() }),
  });

  api.route({
    method: 'patch', path: '/admin/settings', tag, access: 'admin', body: settingsInput,
    summary: 'Change the instance name, registration mode (open, approval, invite), approval question, quick-exit address (https), discreet-mode default and name, discreet-titles default (`discreetTitlesByDefault`), what buddies facing an alarm should do (`alarmContact`), or the languages offered (`offeredLocales`, empty: all) and the default language (`defaultLocale`, null: configured default)',
    handler: async ({ body }) => ({ settings: await instance.changeSettings(body) }),
  });

  api.route({
    method: 'get', path: '/admin/staff', tag, access: 'moderator', summary: 'Admins and moderators',
    handler: async () => ({ staff: await accounts.listStaff() }),
  });

  api.route({
    method: 'put', path: '/admin/accounts/:handle/role', tag, access: 'admin', body: roleInput,
    summary: 'Grant or remove the moderator or admin role',
    handler: async ({ req, body }) => ({ account: accountView(await accounts.setRole(req.account!, req.params.handle ?? '', body)) }),
  });

  api.route({
    method: 'put', path: '/admin/accounts/:handle/trusted', tag, access: 'admin', body: trustedInput,
    summary: 'Mark a member as trusted: their client reviews are published without waiting for a moderator',
    handler: async ({ req, body }) => {
      const account = await accounts.setTrusted(req.account!, req.params.handle ?? '', parseInput(trustedInput, body).trusted);
      return { account: accountView(account), trusted: account.trusted === true };
    },
  });

  api.route({
    method: 'put', path: '/admin/accounts/:handle/responder', tag, access: 'admin', body: responderInput,
    summary: 'Make a member a responder: they receive incident reports',
    handler: async ({ req, body }) => {
      const account = await accounts.setResponder(req.account!, req.params.handle ?? '', parseInput(responderInput, body).responder);
      return { account: accountView(account), responder: account.responder === true };
    },
  });

  api.route({
    method: 'get', path: '/admin/approvals', tag, access: 'moderator', summary: 'Sign-ups waiting for approval, with their answers',
    handler: async ({ req }) => ({ pending: await accounts.listPending(req.account!) }),
  });

  api.route({
    method: 'post', path: '/admin/approvals/:id/approve', tag, access: 'moderator', summary: 'Approve a waiting sign-up',
    handler: ({ req }) => noContent(accounts.decide(req.account!, req.params.id ?? '', true)),
  });

  api.route({
    method: 'post', path: '/admin/approvals/:id/refuse', tag, access: 'moderator', summary: 'Refuse a waiting sign-up (the account is removed)',
    handler: ({ req }) => noContent(accounts.decide(req.account!, req.params.id ?? '', false)),
  });

  api.route({
    method: 'get', path: '/admin/invites', tag, access: 'moderator', summary: 'Unused, unexpired invite codes (codes themselves are never stored)',
    handler: async () => ({ invites: await invites.list() }),
  });

  api.route({
    method: 'post', path: '/admin/invites', tag, access: 'moderator', body: inviteInput, status: 201,
    summary: 'Create a single-use invite code valid for `days` days',
    handler: async ({ req, body }) => {
      const { code, invite } = await invites.create(req.account!.id, parseInput(inviteInput, body).days);
      return { ...invite, code };
    },
  });

  api.route({
    method: 'delete', path: '/admin/invites/:id', tag, access: 'moderator', summary: 'Revoke an invite code',
    handler: ({ req }) => noContent(invites.revoke(req.params.id ?? '')),
  });

  consoleApi(api, services);
}
