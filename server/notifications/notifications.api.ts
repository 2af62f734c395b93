import type { AppContext } from '../context.js';
import type { ApiRouter } from '../http/api-router.js';

export function notificationsApi(api: ApiRouter, ctx: AppContext): void {
  const { notifications } = ctx;
  const tag = 'notifications';
  api.route({
    method: 'get', path: '/notifications', tag, access: 'account',
    summary: 'Your recent notifications (kept 14 days), after those worked out on this request from your anonymous identities (`pulled`: replies to your anonymous posts)',
    handler: async ({ req, account }) => ({ notifications: await notifications.list(account!, req.memberKey ?? null) }),
  });
  api.route({
    method: 'post', path: '/notifications/:id/seen', tag, access: 'account', summary: 'Mark a notification as seen',
    handler: async ({ req, account }) => ({ notification: await notifications.open(account!, req.memberKey ?? null, req.params.id ?? '') }),
  });
}
