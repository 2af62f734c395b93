import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { isStaff } from '../accounts/accounts.service.js';
import { AppError } from '../core/errors.js';
import { formBody, formPost, formRedirect, formState, handle, onlyWhen, sendPage, signedInOnly } from '../http/pages.js';
import type { FormState } from '../views/layout.js';
import { manageResourcesPage, resourcesPage, rightsEditPage, rightsIndexPage, rightsPage } from './rights.views.js';
import { param } from '../http/route-param.js';

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** Know-your-rights pages and the resource directory: plain pages anyone can read without an account; forms for moderators. */
export function rightsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { rights } = ctx;

  const editorsOnly = signedInOnly(onlyWhen(isStaff));

  /** The language version asked for in the address, else the reader's language. */
  const wantedLocale = (req: Request) => text(req.query.locale) || req.locale;

  const renderIndex = async (req: Request, state?: FormState) =>
    rightsIndexPage(ctx.page(req), { pages: await rights.listPages(req.locale), canEdit: isStaff(req.account) }, state);

  router.get('/rights', handle(async (req, res) => sendPage(res, await renderIndex(req))));
  router.post(
    '/rights',
    editorsOnly,
    formPost(async (req, res) => {
      const { slug, ...fields } = formBody(req);
      const { page } = await rights.putPage(req.account, text(slug), fields, { mustBeNew: true });
      res.redirect(303, `/rights/${page.slug}?locale=${encodeURIComponent(page.locale)}`);
    }, renderIndex),
  );

  router.get(
    '/rights/:slug',
    handle(async (req, res) => sendPage(res, rightsPage(ctx.page(req), await rights.getPage(param(req.params.slug), wantedLocale(req)), isStaff(req.account)))),
  );

  const renderEdit = async (req: Request, state?: FormState) => {
    const slug = param(req.params.slug);
    const locale = state?.values?.locale || wantedLocale(req);
    return rightsEditPage(ctx.page(req), slug, locale, await rights.getVersion(slug, locale).catch(() => null), state);
  };
  router.get('/rights/:slug/edit', editorsOnly, handle(async (req, res) => {
    // Checks the address before showing a form for it: an unknown language or a malformed slug is an error page.
    await rights.getVersion(param(req.params.slug), wantedLocale(req));
    sendPage(res, await renderEdit(req));
  }));
  router.post(
    '/rights/:slug/edit',
    editorsOnly,
    formPost(async (req, res) => {
      const { page } = await rights.putPage(req.account, param(req.params.slug), formBody(req));
      res.redirect(303, `/rights/${page.slug}?locale=${encodeURIComponent(page.locale)}`);
    }, renderEdit),
  );
  router.post(
    '/rights/:slug/delete',
    editorsOnly,
    formRedirect((req) => rights.deletePage(req.account, param(req.params.slug), text(formBody(req).locale)), '/rights', renderEdit),
  );

  router.get(
    '/resources',
    handle(async (req, res) => {
      const filter = { kind: text(req.query.kind), area: text(req.query.area) };
      const data = { areas: ctx.areas.list(), filter, canEdit: isStaff(req.account) };
      try {
        sendPage(res, resourcesPage(ctx.page(req), { ...data, resources: await rights.listResources(filter) }));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        sendPage(res, resourcesPage(ctx.page(req), { ...data, resources: [] }, formState(req, error, filter)), error.status);
      }
    }),
  );

  const renderManage = async (req: Request, state?: { section: string; form: FormState }) =>
    manageResourcesPage(ctx.page(req), { resources: await rights.listResources({}), areas: ctx.areas.list() }, state);

  router.get('/resources/manage', editorsOnly, handle(async (req, res) => sendPage(res, await renderManage(req))));
  router.post(
    '/resources/manage',
    editorsOnly,
    formPost(async (req, res) => {
      const resource = await rights.createResource(req.account, formBody(req));
      res.redirect(303, `/resources/manage#r-${resource.id}`);
    }, (req, form) => renderManage(req, { section: 'new', form })),
  );
  router.post(
    '/resources/manage/:id',
    editorsOnly,
    formPost(async (req, res) => {
      const resource = await rights.updateResource(req.account, param(req.params.id), formBody(req));
      res.redirect(303, `/resources/manage#r-${resource.id}`);
    }, (req, form) => renderManage(req, { section: param(req.params.id), form })),
  );
  router.post(
    '/resources/manage/:id/delete',
    editorsOnly,
    formPost(async (req, res) => {
      await rights.deleteResource(req.account, param(req.params.id));
      res.redirect(303, '/resources/manage');
    }, (req, form) => renderManage(req, { section: param(req.params.id), form })),
  );

  return router;
}
