import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { formBody, formPost, handle, sendPage } from '../http/pages.js';
import { param } from '../http/route-param.js';
import type { FormState } from '../views/layout.js';
import type { AdminConsole } from './console.service.js';
import { boardsPage, secretPage } from './boards.views.js';
import { areasPage, rightsPage, roomsPage } from './places.views.js';
import { healthPage, networkPage, storagePage } from './system.views.js';

/** The console's sections besides first steps and members: boards, rooms, rights, areas, federation, storage, health. */
export function consolePages(ctx: AppContext, adminConsole: AdminConsole): express.Router {
  const router = express.Router();

  const renderBoards = async (req: Request, done?: string, state?: { slug: string; form: FormState }) =>
    boardsPage(ctx.page(req), { ...(await adminConsole.boards(req.account!)), done }, state);
  router.get('/admin/boards', handle(async (req, res) => sendPage(res, await renderBoards(req))));
  router.post(
    '/admin/review-boards/:slug',
    formPost(
      async (req, res) => {
        // An empty secret field means "leave the key as it is".
        const { secret, ...rest } = formBody(req);
        await ctx.reviews.updateBoard(req.account!, param(req.params.slug), secret === '' || secret === undefined ? rest : { ...rest, secret });
        sendPage(res, await renderBoards(req, req.t('settings.saved')));
      },
      (req, form) => renderBoards(req, undefined, { slug: param(req.params.slug), form: { ...form, values: { ...form.values, secret: '' } } }),
    ),
  );
  router.get(
    '/admin/review-boards/:slug/secret',
    handle(async (req, res) => {
      const { board, secret } = await adminConsole.partnerSecret(req.account!, param(req.params.slug));
      res.setHeader('Cache-Control', 'no-store');
      sendPage(res, secretPage(ctx.page(req), board, secret));
    }),
  );

  router.get('/admin/rooms', handle(async (req, res) => sendPage(res, roomsPage(ctx.page(req), await adminConsole.rooms(req.account!)))));
  router.get('/admin/rights', handle(async (req, res) => sendPage(res, rightsPage(ctx.page(req), await adminConsole.rights(req.account!, req.locale)))));

  const renderAreas = (req: Request, done?: string, form?: FormState) => areasPage(ctx.page(req), { areas: ctx.areas.list(), done }, form);
  router.get('/admin/areas', (req, res) => sendPage(res, renderAreas(req)));
  router.post(
    '/admin/areas',
    formPost(
      async (req, res) => {
        await ctx.areas.create(req.account!, formBody(req, ['position']));
        sendPage(res, renderAreas(req, req.t('settings.saved')));
      },
      (req, form) => renderAreas(req, undefined, form),
    ),
  );
  router.post(
    '/admin/areas/:id/delete',
    formPost(
      async (req, res) => {
        await ctx.areas.remove(req.account!, param(req.params.id));
        sendPage(res, renderAreas(req, req.t('admin_console.area_deleted')));
      },
      (req, form) => renderAreas(req, undefined, form),
    ),
  );

  router.get('/admin/network', handle(async (req, res) => sendPage(res, networkPage(ctx.page(req), await adminConsole.federation(req.account!)))));
  router.get('/admin/storage', handle(async (req, res) => sendPage(res, storagePage(ctx.page(req), await adminConsole.storage(req.account!)))));
  router.get('/admin/health', handle(async (req, res) => sendPage(res, healthPage(ctx.page(req), await adminConsole.health(req.account!)))));
  return router;
}
