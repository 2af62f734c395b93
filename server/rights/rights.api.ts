import { z } from 'zod';
import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { localeSchema, resourceFilter, resourceInput, resourcePatchInput, rightsPageInput, rightsQuery } from './rights.schemas.js';
import { param } from '../http/route-param.js';

export function rightsApi(api: ApiRouter, ctx: AppContext): void {
  const { rights } = ctx;
  const tag = 'rights';

  api.route({
    method: 'get', path: '/rights', tag, access: 'public', query: rightsQuery,
    summary: 'Know-your-rights pages, each in `locale` (default: your language) where written, else the instance’s default language',
    handler: async ({ req, query }) => ({ pages: await rights.listPages(query.locale ?? req.locale) }),
  });
  api.route({
    method: 'get', path: '/rights/:slug', tag, access: 'public', query: rightsQuery,
    summary: 'One know-your-rights page in `locale` (default: your language), else the default language’s version; `locales` lists every version',
    handler: async ({ req, query }) => ({ page: await rights.getPage(param(req.params.slug), query.locale ?? req.locale) }),
  });
  api.route({
    method: 'put', path: '/rights/:slug', tag, access: 'moderator', body: rightsPageInput,
    summary: 'Write one language version of a page, creating it if needed: {locale, title, body (Markdown)}',
    handler: async ({ req, res, account, body }) => {
      const { page, created } = await rights.putPage(account, param(req.params.slug), body);
      res.status(created ? 201 : 200).json({ page });
      return undefined;
    },
  });
  api.route({
    method: 'delete', path: '/rights/:slug', tag, access: 'moderator', query: z.strictObject({ locale: localeSchema }),
    summary: 'Delete one language version of a page (`locale` is required)',
    handler: ({ req, account, query }) => noContent(rights.deletePage(account, param(req.params.slug), query.locale)),
  });

  api.route({
    method: 'get', path: '/resources', tag, access: 'public', query: resourceFilter,
    summary: 'The directory of clinics, testing, PrEP/ART, legal aid, hotlines and shelters, by `kind` and `area` (an area also lists services for everywhere)',
    handler: async ({ query }) => ({ resources: await rights.listResources(query) }),
  });
  api.route({
    method: 'post', path: '/resources', tag, access: 'moderator', body: resourceInput, status: 201,
    summary: 'Add a resource: {name, kind, area?, hours?, contact?, description?, language?}',
    handler: async ({ account, body }) => ({ resource: await rights.createResource(account, body) }),
  });
  api.route({
    method: 'get', path: '/resources/:id', tag, access: 'public', summary: 'One resource',
    handler: async ({ req }) => ({ resource: await rights.getResource(param(req.params.id)) }),
  });
  api.route({
    method: 'patch', path: '/resources/:id', tag, access: 'moderator', body: resourcePatchInput, summary: 'Change a resource',
    handler: async ({ req, account, body }) => ({ resource: await rights.updateResource(account, param(req.params.id), body) }),
  });
  api.route({
    method: 'delete', path: '/resources/:id', tag, access: 'moderator', summary: 'Remove a resource',
    handler: ({ req, account }) => noContent(rights.deleteResource(account, param(req.params.id))),
  });
}
