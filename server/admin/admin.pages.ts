import express, { type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../context.js';
import { isAdmin } from '../accounts/accounts.service.js';
import { formBody, formPost, handle, sendPage } from '../http/pages.js';
import { forbidden, unauthorized } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { adminPage, type AdminData, type AdminSection } from './admin.views.js';
import { inviteInput } from './admin.schemas.js';
import type { AdminConsole } from './console.service.js';
import type { AdminMembers } from './members.service.js';
import { membersPages } from './members.pages.js';
import { consolePages } from './console.pages.js';

/**
 * The console is for admins alone: a visitor gets 401, anyone else signed in 403. Its pages list members and
 * settings, so no browser or proxy keeps a copy.
 */
const adminOnly: RequestHandler = (req, res, next) => {
  if (!req.account) next(unauthorized('login_required'));
  else if (!isAdmin(req.account)) next(forbidden('admin_only'));
  else {
    res.setHeader('Cache-Control', 'no-store');
    next();
  }
};

/** The admin console: first steps and the instance's settings here, each other section in its own file. */
export function adminPages(ctx: AppContext, deps: { console: AdminConsole; members: AdminMembers }): express.Router {
  const router = express.Router();
  const { instance, invites } = ctx;

  router.use('/admin', adminOnly);

  async function data(req: Request, extra: Partial<AdminData> = {}): Promise<AdminData> {
    return {
      settings: instance.settings(),
      allLanguages: ctx.i18n.locales.map((tag) => ({ tag, name: ctx.i18n.meta(tag).name })),
      invites: await invites.list(),
      checklist: await deps.console.checklist(req.account!, req.locale),
      ...extra,
    };
  }

  router.get('/admin', handle(async (req, res) => sendPage(res, adminPage(ctx.page(req), await data(req)))));

  function adminPost(section: AdminSection, action: (req: Request, res: Response) => Promise<Partial<AdminData>>) {
    return formPost(
      async (req, res) => {
        const extra = await action(req, res);
        sendPage(res, adminPage(ctx.page(req), await data(req, extra)));
      },
      async (req, form) => adminPage(ctx.page(req), await data(req), { section, form }),
    );
  }

  router.post(
    '/admin/settings',
    adminPost('settings', async (req) => {
      await instance.changeSettings(formBody(req));
      return { done: req.t('settings.saved') };
    }),
  );
  router.post(
    '/admin/invites',
    adminPost('invites', async (req) => {
      const { days } = parseInput(inviteInput, formBody(req, ['days']));
      return { newInvite: (await invites.create(req.account!.id, days)).code };
    }),
  );
  router.post(
    '/admin/invites/:id/revoke',
    adminPost('invites', async (req) => {
      await invites.revoke(req.params.id ?? '');
      return { done: req.t('admin.invite_revoked') };
    }),
  );

  router.use(membersPages(ctx, deps.members));
  router.use(consolePages(ctx, deps.console));
  return router;
}
