import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { isStaff } from '../accounts/accounts.service.js';
import { formBody, formPost, formRedirect, handle, sendPage, signedInOnly } from '../http/pages.js';
import type { FormState } from '../views/layout.js';
import { anonymousBansPage, type BansNotice } from './bans.views.js';
import { boardsAdminPage } from './boards.views.js';
import { param } from '../http/route-param.js';

/** A checkbox with a hidden "false" before it sends both values when ticked: the last one is the answer. */
function lastValues(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]));
}

const boardNumbers = ['position', 'slowModeSeconds'];

/** The boards' administration pages, among the moderation tabs: board moderators change their boards, staff every board. */
export function boardsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { boards } = ctx.forums;

  router.use('/mod/boards', signedInOnly());

  const renderBoards = async (req: Request, state?: { slug: string; form: FormState }) => {
    const mine = (await boards.listBoards(req.account)).filter((b) => b.canModerate);
    const withMods = await Promise.all(mine.map(async (b) => ({ ...b, moderators: (await boards.moderatorHandles(b.id)).join(', ') })));
    return boardsAdminPage(ctx.page(req), withMods, state);
  };
  router.get('/mod/boards', handle(async (req, res) => sendPage(res, await renderBoards(req))));
  router.post(
    '/mod/boards',
    formPost(
      async (req, res) => {
        const board = await boards.createBoard(req.account!, formBody(req, boardNumbers));
        res.redirect(303, `/mod/boards#b-${board.slug}`);
      },
      (req, form) => renderBoards(req, { slug: '', form }),
    ),
  );
  router.post(
    '/mod/boards/:slug',
    formPost(
      async (req, res) => {
        const body = lastValues(formBody(req, boardNumbers));
        const { moderators, ...rest } = body;
        const patch = isStaff(req.account)
          ? { ...rest, moderators: String(moderators ?? '').split(/[\s,]+/).filter(Boolean) }
          : Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'visibility'));
        const board = await boards.updateBoard(req.account!, param(req.params.slug), patch);
        res.redirect(303, `/mod/boards#b-${board.slug}`);
      },
      (req, form) => renderBoards(req, { slug: param(req.params.slug), form }),
    ),
  );
  router.post(
    '/mod/boards/:slug/delete',
    formRedirect(
      (req) => boards.deleteBoard(req.account!, param(req.params.slug)),
      '/mod/boards',
      (req, form) => renderBoards(req, { slug: param(req.params.slug), form }),
    ),
  );
  const renderBans = async (req: Request, state?: FormState) => {
    const notice = bansNotice(req.query);
    return anonymousBansPage(ctx.page(req), await ctx.forums.moderating.anonymousBans(req.account, param(req.params.slug)), state ? null : notice, state);
  };
  router.get('/mod/boards/:slug/bans', handle(async (req, res) => sendPage(res, await renderBans(req))));
  router.post(
    '/mod/boards/:slug/bans/:id/lift',
    formPost(async (req, res) => {
      const slug = param(req.params.slug);
      const lifted = await ctx.forums.moderating.liftAnonymousBan(req.account, slug, param(req.params.id), formBody(req));
      res.redirect(303, `/mod/boards/${slug}/bans?lifted=${lifted.anonymousNumber ?? ''}`);
    }, renderBans),
  );
  return router;
}

/** The message a redirect after a ban or a lifted ban asks for: only a kind and a number, nothing a link could inject. */
function bansNotice(query: Request['query']): BansNotice | null {
  for (const kind of ['banned', 'lifted'] as const) {
    const value = query[kind];
    if (typeof value !== 'string') continue;
    const n = /^\d{1,9}$/.test(value) ? Number(value) : null;
    return { kind, number: n };
  }
  return null;
}
