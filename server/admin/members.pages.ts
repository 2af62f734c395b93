import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { formBody, formPost, handle, sendPage } from '../http/pages.js';
import { param } from '../http/route-param.js';
import type { FormState } from '../views/layout.js';
import type { AdminMembers } from './members.service.js';
import { membersPage } from './members.views.js';

/**
 * A form sends every value as text: a whole number of days is sent on as a number, an empty field as absent (a ban
 * without end), and anything else as it came, for the schema to refuse.
 */
function suspensionBody(req: Request): Record<string, unknown> {
  const body = formBody(req);
  const days = body.days;
  if (days === '' || days === undefined) delete body.days;
  else if (typeof days === 'string' && /^\s*\d{1,6}\s*$/.test(days)) body.days = Number(days);
  return body;
}

/** The members section: approvals, the list with search, and each member's role, marks and suspension. */
export function membersPages(ctx: AppContext, members: AdminMembers): express.Router {
  const router = express.Router();

  /** `query` is the list's search (`q`, `after`), as the service validates it; a bad one is its 422. */
  const render = async (req: Request, query: Record<string, unknown>, extra: { done?: string; state?: { handle: string; form: FormState } } = {}) => {
    const [list, pending] = await Promise.all([members.list(req.account!, query), members.pending(req.account!)]);
    return membersPage(ctx.page(req), { ...list, pending, selfId: req.account!.id, done: extra.done }, extra.state);
  };

  router.get(
    '/admin/members',
    handle(async (req, res) => sendPage(res, await render(req, req.query as Record<string, unknown>))),
  );

  /** A change to one member: the list then shows that member, with what was done or what went wrong. */
  const memberPost = (action: (req: Request, target: string) => Promise<string>) =>
    formPost(
      async (req, res) => {
        const target = param(req.params.handle);
        const done = await action(req, target);
        sendPage(res, await render(req, { q: target }, { done }));
      },
      async (req, form) => {
        const target = param(req.params.handle);
        return render(req, /^[A-Za-z0-9_]{1,60}$/.test(target) ? { q: target } : {}, { state: { handle: target, form } });
      },
    );

  router.post(
    '/admin/members/:handle/role',
    memberPost(async (req, target) => {
      const member = await members.setRole(req.account!, target, formBody(req));
      return req.t('admin.role_set', { handle: member.handle, role: req.t(`role.${member.role}`) });
    }),
  );
  router.post(
    '/admin/members/:handle/flags',
    memberPost(async (req, target) => {
      const member = await members.setFlags(req.account!, target, formBody(req));
      return req.t('admin.trusted_set', { handle: member.handle });
    }),
  );
  router.post(
    '/admin/members/:handle/suspend',
    memberPost(async (req, target) => {
      const member = await members.suspend(req.account!, target, suspensionBody(req));
      return req.t('mod.suspended_done', { handle: member.handle });
    }),
  );
  router.post(
    '/admin/members/:handle/unsuspend',
    memberPost(async (req, target) => {
      const member = await members.unsuspend(req.account!, target);
      return req.t('mod.unsuspended_done', { handle: member.handle });
    }),
  );

  const approvalPost = (approve: boolean) =>
    formPost(
      async (req, res) => {
        await ctx.accounts.decide(req.account!, param(req.params.id), approve);
        sendPage(res, await render(req, {}, { done: req.t(approve ? 'admin.approved' : 'admin.refused') }));
      },
      (req, form) => render(req, {}, { state: { handle: '', form } }),
    );
  router.post('/admin/approvals/:id/approve', approvalPost(true));
  router.post('/admin/approvals/:id/refuse', approvalPost(false));
  return router;
}
