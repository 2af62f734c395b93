import type { AppContext } from '../context.js';
import type { ApiRouter } from '../http/api-router.js';

export function notificationsApi(api: ApiRouter, ctx: AppContext): void {
  const { notifications } = ctx;
  const tag = 'notifications';
  api.route({
    method: 'get', path: '/notifications', tag, access: 'account', summary: 'Your recent notifications (kept 14 days)',
    handler: async ({ account }) => ({ notifications: await notifications.recent(account!.id) }),
  });
  api.route({
    method: 'post', path: '/notifications/:id/seen', tag, access: 'account', summary: 'Mark a notification as seen',
    handler: async ({ req, account }) => ({ notification: await notifications.markSeen(account!.id, req.params.id ?? '') }),
  });
}
