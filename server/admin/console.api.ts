import { roleInput, suspensionInput } from '../accounts/accounts.service.js';
import type { ApiRouter } from '../http/api-router.js';
import { param } from '../http/route-param.js';
import { memberFlagsInput, memberSearchInput } from './admin.schemas.js';
import type { AdminConsole } from './console.service.js';
import type { AdminMembers } from './members.service.js';

/** The console's JSON twins: each answers what its page shows, from the same service call. */
export function consoleApi(api: ApiRouter, deps: { console: AdminConsole; members: AdminMembers }): void {
  const { console: admin, members } = deps;
  const tag = 'admin';

  api.route({
    method: 'get', path: '/admin/checklist', tag, access: 'admin',
    summary: 'The first steps after setup (name, languages, country, registration, boards, rooms, rights pages, partners, backups), each done or not, with the page where it is done',
    handler: async ({ req, account }) => ({ steps: await admin.checklist(account!, req.locale) }),
  });
  api.route({
    method: 'get', path: '/admin/members', tag, access: 'admin', query: memberSearchInput,
    summary: 'Members in handle order, searched by the start of a handle (`q`); days are the finest time given',
    handler: async ({ account, query }) => members.list(account!, query ?? {}),
  });
  api.route({
    method: 'put', path: '/admin/members/:handle/role', tag, access: 'admin', body: roleInput,
    summary: 'Give a member the member, moderator or admin role (the last admin keeps theirs)',
    handler: async ({ req, account, body }) => ({ member: await members.setRole(account!, param(req.params.handle), body) }),
  });
  api.route({
    method: 'put', path: '/admin/members/:handle/flags', tag, access: 'admin', body: memberFlagsInput,
    summary: 'Mark a member trusted (reviews published at once) and responder (receives incident reports)',
    handler: async ({ req, account, body }) => ({ member: await members.setFlags(account!, param(req.params.handle), body) }),
  });
  api.route({
    method: 'put', path: '/admin/members/:handle/suspension', tag, access: 'admin', body: suspensionInput,
    summary: 'Suspend a member for `days` days, or without end; not oneself, not staff, never the last admin',
    handler: async ({ req, account, body }) => ({ member: await members.suspend(account!, param(req.params.handle), body) }),
  });
  api.route({
    method: 'delete', path: '/admin/members/:handle/suspension', tag, access: 'admin', summary: 'Lift a suspension',
    handler: async ({ req, account }) => ({ member: await members.unsuspend(account!, param(req.params.handle)) }),
  });
  api.route({
    method: 'get', path: '/admin/boards', tag, access: 'admin', summary: 'Forum boards with their settings and moderators, and the review boards',
    handler: async ({ account }) => admin.boards(account!),
  });
  api.route({
    method: 'get', path: '/admin/review-boards/:slug/secret', tag, access: 'admin',
    summary: 'The key a partner review board shares with the partner instances (answered with Cache-Control: no-store)',
    handler: async ({ req, res, account }) => {
      res.setHeader('Cache-Control', 'no-store');
      const { board, secret } = await admin.partnerSecret(account!, param(req.params.slug));
      return { board: board.slug, secret };
    },
  });
  api.route({
    method: 'get', path: '/admin/rooms', tag, access: 'admin', summary: 'How many rooms there are, and the listed ones',
    handler: async ({ account }) => admin.rooms(account!),
  });
  api.route({
    method: 'get', path: '/admin/rights', tag, access: 'admin', summary: 'Rights pages (placeholders marked) and how many resources are listed',
    handler: async ({ req, account }) => admin.rights(account!, req.locale),
  });
  api.route({
    method: 'get', path: '/admin/network', tag, access: 'admin',
    summary: 'Federation at a glance: mode, rules, partners, follows and waiting deliveries (null when federation is off); changed under /federation',
    handler: async ({ account }) => ({ federation: await admin.federation(account!) }),
  });
  api.route({
    method: 'get', path: '/admin/storage', tag, access: 'admin',
    summary: 'Database and data directory sizes, the last backup day and the command that makes one, and what protects the data at rest',
    handler: async ({ account }) => admin.storage(account!),
  });
  api.route({
    method: 'get', path: '/admin/health', tag, access: 'admin',
    summary: 'Version, database engine, background jobs, queue sizes (passphrase checks, deliveries) and free disk space',
    handler: async ({ account }) => admin.health(account!),
  });
}
