import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { areaInput, subscriptionsInput } from './areas.service.js';

export function areasApi(api: ApiRouter, ctx: AppContext): void {
  const { areas } = ctx;
  const tag = 'areas';

  api.route({
    method: 'get', path: '/areas', tag, access: 'member', summary: 'The coarse areas of this instance',
    handler: async () => ({ areas: areas.list() }),
  });
  api.route({
    method: 'post', path: '/areas', tag, access: 'admin', body: areaInput, status: 201, summary: 'Add an area (a town or district, never coordinates)',
    handler: async ({ account, body }) => ({ area: await areas.create(account!, body) }),
  });
  api.route({
    method: 'patch', path: '/areas/:id', tag, access: 'admin', body: areaInput, summary: 'Rename or reorder an area',
    handler: async ({ req, account, body }) => ({ area: await areas.rename(account!, req.params.id ?? '', body) }),
  });
  api.route({
    method: 'delete', path: '/areas/:id', tag, access: 'admin', summary: 'Remove an area',
    handler: ({ req, account }) => noContent(areas.remove(account!, req.params.id ?? '')),
  });
  api.route({
    method: 'get', path: '/me/urgent-areas', tag, access: 'member', summary: 'Areas you get urgent warnings for',
    handler: async ({ account }) => ({ areaIds: await areas.subscriptions(account!.id) }),
  });
  api.route({
    method: 'put', path: '/me/urgent-areas', tag, access: 'member', body: subscriptionsInput, summary: 'Choose the areas you get urgent warnings for',
    handler: async ({ account, body }) => ({ areaIds: await areas.setSubscriptions(account!, body) }),
  });
}
