import { z } from 'zod';
import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { alertInput, buddyRequestInput, checkinInput, extendInput, incidentInput, incidentMessageInput, incidentStatusInput } from './safety.schemas.js';
import { pushSubscriptionInput } from './push.service.js';
import { param } from '../http/route-param.js';
import { preparePhotos } from '../media/media.routes.js';
import { incidentPhotos } from './safety-photos.js';

const alertsQuery = z.strictObject({ area: z.string().max(64).optional() });

export function safetyApi(api: ApiRouter, ctx: AppContext): void {
  const { safety, incidents, push } = ctx;
  const tag = 'safety';

  api.route({ method: 'get', path: '/buddies', tag, access: 'member', summary: 'Your buddies and buddy requests', handler: async ({ account }) => ({ buddies: await safety.buddies(account) }) });
  api.route({
    method: 'post', path: '/buddies', tag, access: 'member', body: buddyRequestInput, status: 201,
    summary: 'Ask a member to be your buddy (accepts when they asked you first)',
    handler: async ({ account, body }) => ({ buddy: await safety.requestBuddy(account, body) }),
  });
  api.route({
    method: 'delete', path: '/buddies/:handle', tag, access: 'member', summary: 'End a buddy pair or refuse a request',
    handler: ({ req, account }) => noContent(safety.endBuddy(account, param(req.params.handle))),
  });
  api.route({
    method: 'post', path: '/checkins', tag, access: 'member', body: checkinInput, status: 201,
    summary: 'Start a check-in before a booking: {minutes or expectedEnd, buddies (handles), notes?, client?}; with photos (a plate, a car), multipart/form-data: the JSON in `body`, up to 4 `photos`, `alt`, `sensitive`; only the buddies named see them',
    handler: async ({ req, account, body }) => {
      const photos = await preparePhotos(ctx.media, req);
      const checkin = await safety.startCheckin(account, body);
      return { checkin, photos: await ctx.media.attach('checkin', checkin.id, photos) };
    },
  });
  api.route({ method: 'get', path: '/checkins', tag, access: 'member', summary: 'Your recent check-ins', handler: async ({ account }) => ({ checkins: await safety.myCheckins(account) }) });
  api.route({
    method: 'get', path: '/checkins/alarms', tag, access: 'member', summary: 'Check-ins of your buddies that raised an alarm',
    handler: async ({ account }) => ({ checkins: await safety.alarmsFor(account) }),
  });
  api.route({
    method: 'get', path: '/checkins/:id', tag, access: 'member', summary: 'A check-in (its owner and chosen buddies only)',
    handler: async ({ req, account }) => ({ checkin: await safety.getCheckin(account, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/checkins/:id/safe', tag, access: 'member', summary: '"I\'m safe": close the check-in',
    handler: async ({ req, account }) => ({ checkin: await safety.closeCheckin(account, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/checkins/:id/extend', tag, access: 'member', body: extendInput, summary: 'Extend a running check-in by some minutes',
    handler: async ({ req, account, body }) => ({ checkin: await safety.extendCheckin(account, param(req.params.id), body) }),
  });
  api.route({
    method: 'post', path: '/checkins/:id/handling', tag, access: 'member', summary: 'A buddy says "I\'m handling this"',
    handler: async ({ req, account }) => ({ checkin: await safety.handle(account, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/sos', tag, access: 'member', status: 201, summary: 'SOS: alert your buddies now',
    handler: async ({ account }) => ({ checkin: await safety.sos(account) }),
  });
  api.route({
    method: 'get', path: '/alerts', tag, access: 'member', query: alertsQuery, summary: 'Danger alerts that have not expired, newest first',
    handler: async ({ account, query }) => ({ alerts: await safety.listAlerts(account, query.area) }),
  });
  api.route({
    method: 'post', path: '/alerts', tag, access: 'member', body: alertInput, status: 201,
    summary: 'Post a danger alert for an area: {area, kind, text, hours (1-168, default 24)}',
    handler: async ({ account, body }) => ({ alert: await safety.postAlert(account, body) }),
  });
  api.route({
    method: 'delete', path: '/alerts/:id', tag, access: 'member', summary: 'Remove an alert (its author or a moderator)',
    handler: ({ req, account }) => noContent(safety.removeAlert(account, param(req.params.id))),
  });
  api.route({
    method: 'post', path: '/incidents', tag, access: 'member', body: incidentInput, status: 201,
    summary: 'Report an incident to the organisation’s responders (nothing goes to the police); photos as for a check-in, kept for the incident’s lifetime',
    handler: async ({ req, account, body }) => {
      const photos = await preparePhotos(ctx.media, req);
      const incident = await incidents.report(account, body);
      return { incident, photos: await ctx.media.attach('incident', incident.id, photos) };
    },
  });
  api.route({
    method: 'get', path: '/incidents', tag, access: 'member', summary: 'Responders: the open incidents; members: their own',
    handler: async ({ account }) => ({ incidents: incidents.isResponder(account) ? await incidents.queue(account) : await incidents.mine(account) }),
  });
  api.route({
    method: 'get', path: '/incidents/:id', tag, access: 'member', summary: 'An incident with its private thread',
    handler: async ({ req, account }) => ({ incident: await incidents.get(account, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/incidents/:id/messages', tag, access: 'member', body: incidentMessageInput, status: 201,
    summary: 'Write in the incident’s private thread (responders may add internal notes)',
    handler: async ({ req, account, body }) => {
      const photos = await incidentPhotos(ctx, req, body);
      const incident = await incidents.addMessage(account, param(req.params.id), body);
      return { incident, photos: await ctx.media.attach('incident', incident.id, photos) };
    },
  });
  api.route({
    method: 'patch', path: '/incidents/:id', tag, access: 'member', body: incidentStatusInput, summary: 'Responders set the status: acknowledged, in_progress, closed',
    handler: async ({ req, account, body }) => ({ incident: await incidents.setStatus(account, param(req.params.id), body) }),
  });
  api.route({
    method: 'get', path: '/push/key', tag, access: 'account', summary: 'The instance’s VAPID public key for Web Push',
    handler: async () => ({ publicKey: await push.publicKey() }),
  });
  api.route({
    method: 'post', path: '/push/subscriptions', tag, access: 'account', body: pushSubscriptionInput, status: 201,
    summary: 'Enable Web Push alerts on this device',
    handler: async ({ account, body }) => {
      await push.subscribe(account!.id, body);
      return { ok: true };
    },
  });
}
