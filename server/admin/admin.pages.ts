import express, { type Request, type Response } from 'express';
import type { AppContext } from '../context.js';
import { isAdmin, isStaff } from '../accounts/accounts.service.js';
import { formBody, formPost, handle, onlyWhen, sendPage, signedInOnly } from '../http/pages.js';
import { forbidden } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { adminPage, type AdminData, type AdminSection } from './admin.views.js';
import { inviteInput, roleChangeInput } from './admin.schemas.js';

export function adminPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { accounts, instance, invites } = ctx;

  router.use('/admin', signedInOnly(onlyWhen(isStaff)));

  async function data(req: Request, extra: Partial<AdminData> = {}): Promise<AdminData> {
    return {
      isAdmin: isAdmin(req.account),
      settings: instance.settings(),
      allLanguages: ctx.i18n.locales.map((tag) => ({ tag, name: ctx.i18n.meta(tag).name })),
      pending: await accounts.listPending(req.account!),
      invites: await invites.list(),
      staff: await accounts.listStaff(),
      areas: ctx.areas.list(),
      federation: ctx.config.federation.enabled,
      dataSafety: {
        ...(await ctx.backups.status()),
        databaseEncrypted: ctx.config.secrets.databaseKey !== null,
        secretOutside: ctx.config.secrets.instanceSecret !== null,
        photoStorage: await ctx.media.usage(),
      },
      ...extra,
    };
  }

  router.get('/admin', handle(async (req, res) => sendPage(res, adminPage(ctx.page(req), await data(req)))));

  function adminPost(section: AdminSection, action: (req: Request, res: Response) => Promise<Partial<AdminData>>) {
    return formPost(
      async (req, res) => {
        const extra = await action(req, res);
        res.setHeader('Cache-Control', 'no-store');
        sendPage(res, adminPage(ctx.page(req), await data(req, extra)));
      },
      async (req, form) => adminPage(ctx.page(req), await data(req), { section, form }),
    );
  }

  router.post(
    '/admin/settings',
    adminPost('settings', async (req) => {
      if (!isAdmin(req.account)) throw forbidden('admin_only');
      await instance.changeSettings(formBody(req));
      return { done: req.t('settings.saved') };
    }),
  );
  router.post(
    '/admin/approvals/:id/approve',
    adminPost('approvals', async (req) => {
      await accounts.decide(req.account!, req.params.id ?? '', true);
      return { done: req.t('admin.approved') };
    }),
  );
  router.post(
    '/admin/approvals/:id/refuse',
    adminPost('approvals', async (req) => {
      await accounts.decide(req.account!, req.params.id ?? '', false);
      return { done: req.t('admin.refused') };
    }),
  );
  router.post(
    '/admin/invites',
    adminPost('invites', async (req) => {
      const { days } = parseInput(inviteInput, formBody(req));
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
  router.post(
    '/admin/roles',
    adminPost('roles', async (req) => {
      const { handle: target, role } = parseInput(roleChangeInput, formBody(req));
      const account = await accounts.setRole(req.account!, target, { role });
      return { done: req.t('admin.role_set', { handle: account.handle, role: req.t(`role.${role}`) }) };
    }),
  );

  router.post(
    '/admin/trusted',
    adminPost('roles', async (req) => {
      const body = formBody(req);
      const handle = String(body.handle ?? '');
      const account = await accounts.setTrusted(req.account!, handle, body.trusted === 'true');
      await accounts.setResponder(req.account!, handle, body.responder === 'true');
      return { done: req.t('admin.trusted_set', { handle: account.handle }) };
    }),
  );
  router.post(
    '/admin/areas',
    adminPost('areas', async (req) => {
      await ctx.areas.create(req.account!, formBody(req));
      return { done: req.t('settings.saved') };
    }),
  );
  router.post(
    '/admin/areas/:id/delete',
    adminPost('areas', async (req) => {
      await ctx.areas.remove(req.account!, req.params.id ?? '');
      return { done: req.t('settings.saved') };
    }),
  );

  return router;
}
