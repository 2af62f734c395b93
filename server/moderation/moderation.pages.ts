import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { isStaff } from '../accounts/accounts.service.js';
import { formBody, formPost, formRedirect, handle, sendPage, signedInOnly } from '../http/pages.js';
import { forbidden } from '../core/errors.js';
import type { FormState } from '../views/layout.js';
import { filtersPage, logPage, queuePage, suspendPage, transparencyPage, type ModSection } from './moderation.views.js';
import { param } from '../http/route-param.js';
import { approvalsPage } from './approvals.views.js';

export function moderationPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { moderation, moderationQueue: queue } = ctx;

  router.get('/transparency', handle(async (req, res) => sendPage(res, transparencyPage(ctx.page(req), await queue.transparency(req.account)))));

  // Board moderators who are not instance staff reach the queue too: the service shows them their boards only.
  router.use('/mod', signedInOnly());

  const renderQueue = async (req: Request, state?: { section: ModSection; form: FormState }) =>
    queuePage(
      ctx.page(req),
      { queue: await queue.reportQueue(req.account!, req.memberKey ?? null, typeof req.query.after === 'string' ? { after: req.query.after } : {}), pending: await queue.pendingPosts(req.account!) },
      state,
    );

  router.get('/mod', handle(async (req, res) => sendPage(res, await renderQueue(req))));
  router.post(
    '/mod/posts/:id',
    formRedirect(
      (req) => queue.moderatePost(req.account, param(req.params.id), formBody(req)),
      '/mod',
      (req, form) => renderQueue(req, { section: 'reports', form }),
    ),
  );
  router.post(
    '/mod/reports/:id/dismiss',
    formRedirect(
      (req) => queue.dismissReport(req.account!, req.memberKey ?? null, param(req.params.id)),
      '/mod',
      (req, form) => renderQueue(req, { section: 'reports', form }),
    ),
  );

  const staffOnly = (req: Request) => {
    if (!isStaff(req.account)) throw forbidden('moderator_only');
  };

  router.get(
    '/mod/log',
    handle(async (req, res) => sendPage(res, logPage(ctx.page(req), await queue.modLog(req.account!, typeof req.query.after === 'string' ? { after: req.query.after } : {})))),
  );

  const renderApprovals = async (req: Request, done?: string, form?: FormState) => approvalsPage(ctx.page(req), await ctx.accounts.listPending(req.account!), done, form);
  router.get('/mod/approvals', handle(async (req, res) => sendPage(res, await renderApprovals(req))));
  for (const [action, approve] of [['approve', true], ['refuse', false]] as const) {
    router.post(
      `/mod/approvals/:id/${action}`,
      formPost(
        async (req, res) => {
          await ctx.accounts.decide(req.account!, param(req.params.id), approve);
          sendPage(res, await renderApprovals(req, req.t(approve ? 'admin.approved' : 'admin.refused')));
        },
        (req, form) => renderApprovals(req, undefined, form),
      ),
    );
  }

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
      const { handle: target, days, ...rest } = formBody(req, ['days']);
      const account = await moderation.suspend(req.account!, String(target ?? ''), { ...rest, days: days ?? null });
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

  const renderFilters = async (req: Request, state?: FormState) => filtersPage(ctx.page(req), await moderation.listFilters(req.account!), state);
  router.get('/mod/filters', handle(async (req, res) => sendPage(res, await renderFilters(req))));
  router.post(
    '/mod/filters',
    formRedirect((req) => moderation.addFilter(req.account!, formBody(req)), '/mod/filters', renderFilters),
  );
  router.post(
    '/mod/filters/:id/delete',
    formRedirect((req) => moderation.removeFilter(req.account!, param(req.params.id)), '/mod/filters', renderFilters),
  );

  return router;
}
