import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { anyAccount, formBody, formPost, formRedirect, handle, sendPage, signedInOnly } from '../http/pages.js';
import type { FormState } from '../views/layout.js';
import { alertsPage, buddiesPage, checkinPage, hubPage, incidentPage, incidentPrintPage, incidentsPage, type SafetySection } from './safety.views.js';
import { param } from '../http/route-param.js';
import { preparePhotos } from '../media/media.routes.js';
import { incidentPhotos } from './safety-photos.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? [v] : []);

export function safetyPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { safety, incidents, areas } = ctx;

  router.use('/safety', signedInOnly(anyAccount));

  const renderHub = async (req: Request, state?: { section: SafetySection; form: FormState }) =>
    hubPage(ctx.page(req), { checkins: await safety.myCheckins(req.account), buddies: await safety.buddies(req.account), alarms: await safety.alarmsFor(req.account) }, state);
  router.get('/safety', handle(async (req, res) => sendPage(res, await renderHub(req))));
  router.post(
    '/safety/checkins',
    formPost(
      async (req, res) => {
        const body = formBody(req, ['expectedEnd', 'minutes']);
        const photos = await preparePhotos(ctx.media, req);
        const checkin = await safety.startCheckin(req.account, { ...body, buddies: list(body.buddies) });
        await ctx.media.attach('checkin', checkin.id, photos);
        res.redirect(303, `/safety/checkins/${checkin.id}`);
      },
      (req, form) => renderHub(req, { section: 'checkin', form }),
    ),
  );
  router.post(
    '/safety/sos',
    formPost(
      async (req, res) => {
        const checkin = await safety.sos(req.account);
        res.redirect(303, `/safety/checkins/${checkin.id}`);
      },
      (req, form) => renderHub(req, { section: 'sos', form }),
    ),
  );

  const renderCheckin = async (req: Request, state?: FormState) => {
    const checkin = await safety.getCheckin(req.account, param(req.params.id));
    return checkinPage(ctx.page(req), checkin, (await ctx.media.photosOf('checkin', [checkin.id])).get(checkin.id) ?? [], state);
  };
  router.get('/safety/checkins/:id', handle(async (req, res) => sendPage(res, await renderCheckin(req))));
  const checkinAction = (path: string, act: (req: Request) => Promise<unknown>) =>
    router.post(
      `/safety/checkins/:id/${path}`,
      formRedirect(act, (req) => `/safety/checkins/${param(req.params.id)}`, renderCheckin),
    );
  checkinAction('safe', (req) => safety.closeCheckin(req.account, param(req.params.id)));
  checkinAction('extend', (req) => safety.extendCheckin(req.account, param(req.params.id), formBody(req, ['minutes'])));
  checkinAction('handling', (req) => safety.handle(req.account, param(req.params.id)));

  const renderBuddies = async (req: Request, state?: FormState, done?: string) => buddiesPage(ctx.page(req), await safety.buddies(req.account), state, done);
  router.get('/safety/buddies', handle(async (req, res) => sendPage(res, await renderBuddies(req))));
  router.post(
    '/safety/buddies',
    formPost(async (req, res) => {
      const buddy = await safety.requestBuddy(req.account, formBody(req));
      sendPage(res, await renderBuddies(req, undefined, req.t(buddy.state === 'active' ? 'safety.buddy_now' : 'safety.buddy_asked', { handle: buddy.handle })));
    }, renderBuddies),
  );
  router.post(
    '/safety/buddies/:handle/end',
    formRedirect((req) => safety.endBuddy(req.account, param(req.params.handle)), '/safety/buddies', renderBuddies),
  );

  const renderAlerts = async (req: Request, state?: FormState) => alertsPage(ctx.page(req), await safety.listAlerts(req.account), areas.list(), state);
  router.get('/safety/alerts', handle(async (req, res) => sendPage(res, await renderAlerts(req))));
  router.post(
    '/safety/alerts',
    formRedirect((req) => safety.postAlert(req.account, formBody(req, ['hours'])), '/safety/alerts', renderAlerts),
  );
  router.post(
    '/safety/alerts/:id/remove',
    formRedirect((req) => safety.removeAlert(req.account, param(req.params.id)), '/safety/alerts', renderAlerts),
  );

  const renderIncidents = async (req: Request, state?: FormState) =>
    incidentsPage(ctx.page(req), { mine: await incidents.mine(req.account), queue: incidents.isResponder(req.account) ? await incidents.queue(req.account) : null }, state);
  router.get('/safety/incidents', handle(async (req, res) => sendPage(res, await renderIncidents(req))));
  router.post(
    '/safety/incidents',
    formPost(async (req, res) => {
      const photos = await preparePhotos(ctx.media, req);
      const incident = await incidents.report(req.account, formBody(req));
      await ctx.media.attach('incident', incident.id, photos);
      res.redirect(303, `/safety/incidents/${incident.id}`);
    }, renderIncidents),
  );
  const renderIncident = async (req: Request, state?: FormState) => {
    const incident = await incidents.get(req.account, param(req.params.id));
    const photos = (await ctx.media.photosOf('incident', [incident.id])).get(incident.id) ?? [];
    return incidentPage(ctx.page(req), incident, incidents.isResponder(req.account), photos, state);
  };
  router.get('/safety/incidents/:id', handle(async (req, res) => sendPage(res, await renderIncident(req))));
  router.get(
    '/safety/incidents/:id/print',
    handle(async (req, res) => {
      const incident = await incidents.get(req.account, param(req.params.id));
      res.setHeader('Cache-Control', 'no-store');
      sendPage(res, incidentPrintPage(ctx.page(req), incident));
    }),
  );
  router.post(
    '/safety/incidents/:id/messages',
    formRedirect(
      async (req) => {
        const photos = await incidentPhotos(ctx, req, formBody(req));
        const incident = await incidents.addMessage(req.account, param(req.params.id), formBody(req));
        await ctx.media.attach('incident', incident.id, photos);
      },
      (req) => `/safety/incidents/${param(req.params.id)}`,
      renderIncident,
    ),
  );
  router.post(
    '/safety/incidents/:id/status',
    formRedirect((req) => incidents.setStatus(req.account, param(req.params.id), formBody(req)), (req) => `/safety/incidents/${param(req.params.id)}`, renderIncident),
  );

  return router;
}
