import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { isStaff } from '../accounts/accounts.service.js';
import { formBody, formPost, handle, sendPage, signedInOnly } from '../http/pages.js';
import { forbidden } from '../core/errors.js';
import type { FormState } from '../views/layout.js';
import { boardsAdminPage, filtersPage, logPage, queuePage, suspendPage, transparencyPage, type ModSection } from './moderation.views.js';

const param = (value: string | undefined) => value ?? '';

/** A checkbox with a hidden "false" before it sends both values when ticked: the last one is the answer. */
function lastValues(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]));
}

export function moderationPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { forums, moderation, accounts } = ctx;

  router.get('/transparency', handle(async (req, res) => sendPage(res, transparencyPage(ctx.page(req), await forums.transparency(req.account)))));

  // Board moderators who are not instance staff reach the queue too: the service shows them their boards only.
  router.use('/mod', signedInOnly());

  const renderQueue = async (req: Request, state?: { section: ModSection; form: FormState }) =>
    queuePage(
      ctx.page(req),
      { queue: await forums.reportQueue(req.account!, typeof req.query.after === 'string' ? req.query.after : null), pending: await forums.pendingPosts(req.account!) },
      state,
    );

  router.get('/mod', handle(async (req, res) => sendPage(res, await renderQueue(req))));
  router.post(
    '/mod/posts/:id',
    formPost(
      async (req, res) => {
        await forums.moderatePost(req.account, param(req.params.id), formBody(req));
        res.redirect(303, '/mod');
      },
      (req, form) => renderQueue(req, { section: 'reports', form }),
    ),
  );
  router.post(
    '/mod/reports/:id/dismiss',
    formPost(
      async (req, res) => {
        await forums.dismissReport(req.account!, param(req.params.id));
        res.redirect(303, '/mod');
      },
      (req, form) => renderQueue(req, { section: 'reports', form }),
    ),
  );

  const staffOnly = (req: Request) => {
    if (!isStaff(req.account)) throw forbidden('moderator_only');
  };

  router.get(
    '/mod/log',
    handle(async (req, res) => sendPage(res, logPage(ctx.page(req), await forums.modLog(req.account!, typeof req.query.after === 'string' ? { after: req.query.after } : {})))),
  );

  router.get(
    '/mod/accounts',
    handle(async (req, res) => {
      staffOnly(req);
      sendPage(res, suspendPage(ctx.page(req), typeof req.query.handle === 'string' ? req.query.handle : ''));
    }),
  );
  const renderSuspend = (req: Request, form: FormState) => suspendPage(ctx.page(req), String(formBody(req).handle ?? ''), form);
  router.post(
    '/mod/accounts/suspend',
    formPost(async (req, res) => {
      const { handle: target, days, ...rest } = formBody(req);
      const account = await moderation.suspend(req.account!, String(target ?? ''), { ...rest, days: days === '' || days === undefined ? null : days });
      sendPage(res, suspendPage(ctx.page(req), account.handle, undefined, req.t('mod.suspended_done', { handle: account.handle })));
    }, renderSuspend),
  );
  router.post(
    '/mod/accounts/unsuspend',
    formPost(async (req, res) => {
      const account = await moderation.unsuspend(req.account!, String(formBody(req).handle ?? ''));
      sendPage(res, suspendPage(ctx.page(req), account.handle, undefined, req.t('mod.unsuspended_done', { handle: account.handle })));
    }, renderSuspend),
  );

  const renderBoards = async (req: Request, state?: { slug: string; form: FormState }) => {
    const boards = (await forums.listBoards(req.account)).filter((b) => b.canModerate);
    const all = await forums.allBoards();
    const withMods = await Promise.all(
      boards.map(async (b) => {
        const doc = all.find((d) => d.id === b.id);
        const names = await accounts.publicNames(doc?.moderatorIds ?? []);
        return { ...b, moderators: [...names.values()].map((n) => n.handle).join(', ') };
      }),
    );
    return boardsAdminPage(ctx.page(req), withMods, state);
  };
  router.get('/mod/boards', handle(async (req, res) => sendPage(res, await renderBoards(req))));
  router.post(
    '/mod/boards',
    formPost(
      async (req, res) => {
        const board = await forums.createBoard(req.account!, formBody(req));
        res.redirect(303, `/mod/boards#b-${board.slug}`);
      },
      (req, form) => renderBoards(req, { slug: '', form }),
    ),
  );
  router.post(
    '/mod/boards/:slug',
    formPost(
      async (req, res) => {
        const body = lastValues(formBody(req));
        const { moderators, ...rest } = body;
        const patch = isStaff(req.account)
          ? { ...rest, moderators: String(moderators ?? '').split(/[\s,]+/).filter(Boolean) }
          : Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'visibility'));
        const board = await forums.updateBoard(req.account!, param(req.params.slug), patch);
        res.redirect(303, `/mod/boards#b-${board.slug}`);
      },
      (req, form) => renderBoards(req, { slug: param(req.params.slug), form }),
    ),
  );
  router.post(
    '/mod/boards/:slug/delete',
    formPost(
      async (req, res) => {
        await forums.deleteBoard(req.account!, param(req.params.slug));
        res.redirect(303, '/mod/boards');
      },
      (req, form) => renderBoards(req, { slug: param(req.params.slug), form }),
    ),
  );

  const renderFilters = async (req: Request, state?: FormState) => filtersPage(ctx.page(req), await moderation.listFilters(req.account!), state);
  router.get('/mod/filters', handle(async (req, res) => sendPage(res, await renderFilters(req))));
  router.post(
    '/mod/filters',
    formPost(async (req, res) => {
      await moderation.addFilter(req.account!, formBody(req));
      res.redirect(303, '/mod/filters');
    }, renderFilters),
  );
  router.post(
    '/mod/filters/:id/delete',
    formPost(async (req, res) => {
      await moderation.removeFilter(req.account!, param(req.params.id));
      res.redirect(303, '/mod/filters');
    }, renderFilters),
  );

  return router;
}
