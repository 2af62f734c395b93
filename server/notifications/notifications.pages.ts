import express, { type RequestHandler } from 'express';
import type { AppContext } from '../context.js';
import { anyAccount, handle, sendPage, signedInOnly } from '../http/pages.js';
import { html } from '../views/html.js';
import { csrfField, formatTime, icon, layout } from '../views/layout.js';
import type { NotificationsService } from './notifications.service.js';

/** Only same-site paths: a notification can never send a member elsewhere. In discreet mode each one only says it is there. */
const sameSite = (url: string) => (/^\/(?![/\\])/.test(url) ? url : '/');

export function notificationsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { notifications } = ctx;

  router.use('/notifications', signedInOnly(anyAccount));

  router.get(
    '/notifications',
    handle(async (req, res) => {
      const page = ctx.page(req);
      const { t } = page;
      const list = await notifications.list(req.account!, req.memberKey ?? null);
      sendPage(
        res,
        layout(page, {
          title: t('notification.title'),
          body: html`<h1>${icon('flag')} ${t('notification.title')}</h1>
${list.length === 0 ? html`<p>${t('notification.none')}</p>` : ''}
<ul class="list">${list.map(
            (n) => html`<li>${n.seen ? '' : html`<strong>${t('notification.new')}</strong> `}${page.discreet ? t('notification.neutral') : t(n.kind.includes('.') ? n.kind : `notification.${n.kind}`)} · <small>${formatTime(page, n.createdAt)}</small>
<form method="post" action="/notifications/${n.id}/open" class="inline">${csrfField(page)}<button type="submit">${t('notification.open')}</button></form></li>`,
          )}</ul>`,
        }),
      );
    }),
  );

  router.post(
    '/notifications/:id/open',
    handle(async (req, res) => {
      const seen = await notifications.open(req.account!, req.memberKey ?? null, req.params.id ?? '');
      res.redirect(303, sameSite(seen.url));
    }),
  );

  return router;
}

/**
 * What the page banner and the header count: unseen notifications, and among them the private conversations with
 * something new (the `conversation` source's pulled notices, worked out with the member's key). Pages only: the API
 * and assets need not look.
 */
export function unseenCounts(notifications: NotificationsService): RequestHandler {
  return (req, _res, next) => {
    Object.assign(req, { unseenNotifications: 0, unreadMessages: 0 });
    if (!req.account || req.method !== 'GET' || req.path.startsWith('/api/')) {
      next();
      return;
    }
    notifications.unseenSummary(req.account, req.memberKey ?? null, 100).then(({ total, pulled }) => {
      Object.assign(req, { unseenNotifications: total, unreadMessages: pulled.conversation ?? 0 });
      next();
    }, next);
  };
}
