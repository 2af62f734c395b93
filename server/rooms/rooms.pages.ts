import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { isStaff } from '../accounts/accounts.service.js';
import { newId } from '../crypto.js';
import { awaitingApproval, formBody, formPost, formRedirect, handle, sendPage, signedInOnly } from '../http/pages.js';
import { AppError, fieldError, forbidden } from '../core/errors.js';
import type { FormState } from '../views/layout.js';
import type { RoomPreview, RoomView } from './view-models.js';
import { editMessagePage, joinPage, managePage, newRoomPage, reportMessagePage, roomPage, roomsPage, type ManageData, type ManageSection } from './rooms.views.js';
import { param } from '../http/route-param.js';
import { preparePhotos } from '../media/media.routes.js';
import { deleteMessage, roomQuotaKey } from './message-photos.js';

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** A checkbox after a hidden "false" sends both values when ticked: the last one is the answer. */
function lastValues(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]));
}

const isPreview = (room: RoomView | RoomPreview): room is RoomPreview => room.membership === null;

/**
 * Room pages: everything works with plain links and forms (the room page
 * refreshes itself without JavaScript); client/room.js adds live messages.
 */
export function roomsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { rooms, membership, messages, pins } = ctx.rooms;

  // Nothing of a room may stay in a shared phone's cache or come back with the Back button after leaving.
  router.use('/rooms', signedInOnly(awaitingApproval, 'no-store'));

  const renderRooms = async (req: Request, state?: FormState) =>
    roomsPage(
      ctx.page(req),
      {
        mine: await rooms.myRooms(req.account!, req.memberKey),
        notices: await membership.takeNotices(req.memberKey),
        directory: await rooms.directory(state ? {} : { after: text(req.query.after) }), canCreate: isStaff(req.account),
      },
      state,
    );

  router.get('/rooms', handle(async (req, res) => sendPage(res, await renderRooms(req))));
  router.post(
    '/rooms/join',
    formPost(async (req, res) => {
      const room = await membership.joinWithCode(req.account, req.memberKey, formBody(req));
      res.redirect(303, `/rooms/${room.id}`);
    }, renderRooms),
  );

  const renderNew = (req: Request, state?: FormState) => {
    if (!isStaff(req.account)) throw forbidden('moderator_only');
    return newRoomPage(ctx.page(req), state);
  };
  router.get('/rooms/new', handle(async (req, res) => sendPage(res, renderNew(req))));
  router.post(
    '/rooms',
    formPost(async (req, res) => {
      const room = await rooms.create(req.account, req.memberKey, lastValues(formBody(req, ['retentionDays'])));
      res.redirect(303, `/rooms/${room.id}/manage`);
    }, renderNew),
  );

  async function renderRoom(req: Request, state?: FormState) {
    const id = param(req.params.id);
    const key = text(req.query.key) ?? text(req.body?.key);
    const found = await rooms.get(req.account, req.memberKey, id, { key });
    if (isPreview(found)) return joinPage(ctx.page(req), found, key ?? null, state);
    const before = text(req.query.before) ?? null;
    const replyId = text(req.query.reply) ?? text(req.body?.replyTo);
    const history = await messages.history(req.account, req.memberKey, id, before ? { before } : {});
    return roomPage(
      ctx.page(req),
      {
        room: found,
        history,
        photos: await ctx.media.photosOf('room_message', history.messages.map((m) => m.id)),
        pins: await pins.list(req.account, req.memberKey, id),
        reply: replyId ? await messages.get(req.account, req.memberKey, id, replyId).catch(() => null) : null,
        before,
        clientId: newId(),
        still: before !== null || !!replyId || req.query.write !== undefined || req.method === 'POST',
      },
      state,
    );
  }

  router.get('/rooms/:id', handle(async (req, res) => sendPage(res, await renderRoom(req))));
  router.post(
    '/rooms/:id/messages',
    formPost(async (req, res) => {
      const photos = await preparePhotos(ctx.media, req, roomQuotaKey(req, param(req.params.id)));
      const { message } = await messages.send(req.account, req.memberKey, param(req.params.id), formBody(req));
      await ctx.media.attach('room_message', message.id, photos);
      res.redirect(303, `/rooms/${message.roomId}#m-${message.id}`);
    }, renderRoom),
  );
  router.post(
    '/rooms/:id/requests',
    formPost(async (req, res) => {
      const body = formBody(req);
      await membership.requestToJoin(req.account, req.memberKey, param(req.params.id), body);
      const key = text(body.key);
      res.redirect(303, `/rooms/${param(req.params.id)}${key ? `?key=${encodeURIComponent(key)}` : ''}`);
    }, renderRoom),
  );
  router.post(
    '/rooms/:id/membership',
    formPost(async (req, res) => {
      const body = lastValues(formBody(req));
      await membership.update(req.account, req.memberKey, param(req.params.id), { displayMode: body.displayMode, alias: body.alias, showName: body.showName });
      res.redirect(303, `/rooms/${param(req.params.id)}`);
    }, renderRoom),
  );
  router.post(
    '/rooms/:id/leave',
    formRedirect((req) => membership.leave(req.account, req.memberKey, param(req.params.id)), '/rooms', renderRoom),
  );

  // ---- one message --------------------------------------------------------

  const messagePath = (req: Request) => `/rooms/${param(req.params.id)}#m-${param(req.params.mid)}`;

  const renderEdit = async (req: Request, state?: FormState) => {
    const message = await messages.get(req.account, req.memberKey, param(req.params.id), param(req.params.mid));
    if (!message.mine) throw new AppError(403, 'not_author');
    return editMessagePage(ctx.page(req), param(req.params.id), message, state);
  };
  router.get('/rooms/:id/m/:mid/edit', handle(async (req, res) => sendPage(res, await renderEdit(req))));
  router.post(
    '/rooms/:id/m/:mid/edit',
    formRedirect((req) => messages.edit(req.account, req.memberKey, param(req.params.id), param(req.params.mid), formBody(req)), messagePath, renderEdit),
  );
  router.post(
    '/rooms/:id/m/:mid/delete',
    formRedirect((req) => deleteMessage(ctx, req, param(req.params.id), param(req.params.mid)), (req) => req.body?.back === 'manage' ? `/rooms/${param(req.params.id)}/manage#reports` : `/rooms/${param(req.params.id)}`, renderRoom),
  );
  router.post(
    '/rooms/:id/m/:mid/react',
    formRedirect((req) => messages.react(req.account, req.memberKey, param(req.params.id), param(req.params.mid), formBody(req)), messagePath, renderRoom),
  );

  const renderReport = async (req: Request, state?: FormState) =>
    reportMessagePage(ctx.page(req), param(req.params.id), await messages.get(req.account, req.memberKey, param(req.params.id), param(req.params.mid)), state);
  router.get('/rooms/:id/m/:mid/report', handle(async (req, res) => sendPage(res, await renderReport(req))));
  router.post(
    '/rooms/:id/m/:mid/report',
    formRedirect((req) => messages.report(req.account, req.memberKey, param(req.params.id), param(req.params.mid), formBody(req)), messagePath, renderReport),
  );
  router.post(
    '/rooms/:id/m/:mid/pin',
    formRedirect((req) => pins.pin(req.account, req.memberKey, param(req.params.id), { messageId: param(req.params.mid) }), (req) => `/rooms/${param(req.params.id)}#pins`, renderRoom),
  );
  router.post(
    '/rooms/:id/pins/:pid/remove',
    formRedirect((req) => pins.unpin(req.account, req.memberKey, param(req.params.id), param(req.params.pid)), (req) => `/rooms/${param(req.params.id)}#pins`, renderRoom),
  );

  // ---- facilitators ---------------------------------------------------------

  async function manageData(req: Request): Promise<ManageData> {
    const id = param(req.params.id);
    const room = await rooms.get(req.account, req.memberKey, id);
    if (isPreview(room)) throw forbidden('room_members_only');
    if (room.membership.role !== 'facilitator') throw forbidden('facilitator_only');
    return {
      room,
      requests: await membership.joinRequests(req.account, req.memberKey, id),
      members: await membership.list(req.account, req.memberKey, id),
      invites: await membership.inviteList(req.account, req.memberKey, id),
      reports: await messages.reportList(req.account, req.memberKey, id),
      pins: await pins.list(req.account, req.memberKey, id),
      requestLink: room.joinPolicy === 'request' && room.requestKey ? `${ctx.config.publicUrl}/rooms/${room.id}?key=${room.requestKey}` : null,
    };
  }

  const renderManage = (section: ManageSection) => async (req: Request, form: FormState) => managePage(ctx.page(req), await manageData(req), { section, form });

  router.get('/rooms/:id/manage', handle(async (req, res) => sendPage(res, managePage(ctx.page(req), await manageData(req)))));

  /** A facilitator's form: runs `action`, then back to the section it came from. */
  function manage(path: string, section: ManageSection, action: (req: Request, id: string, target: string) => Promise<unknown>): void {
    router.post(
      `/rooms/:id/manage/${path}`,
      formPost(async (req, res) => {
        await action(req, param(req.params.id), param(req.params.target));
        res.redirect(303, `/rooms/${param(req.params.id)}/manage#${section}`);
      }, renderManage(section)),
    );
  }

  manage('requests/:target/approve', 'requests', (req, id, target) => membership.decideRequest(req.account, req.memberKey, id, target, true));
  manage('requests/:target/refuse', 'requests', (req, id, target) => membership.decideRequest(req.account, req.memberKey, id, target, false));
  manage('members/:target/mute', 'members', (req, id, target) => membership.mute(req.account, req.memberKey, id, target, formBody(req, ['minutes'])));
  manage('members/:target/facilitator', 'members', (req, id, target) => membership.makeFacilitator(req.account, req.memberKey, id, target));
  manage('members/:target/remove', 'members', (req, id, target) => membership.remove(req.account, req.memberKey, id, target));
  manage('invites/:target/revoke', 'invites', (req, id, target) => membership.revokeInvite(req.account, req.memberKey, id, target));
  manage('reports/:target/dismiss', 'reports', (req, id, target) => messages.dismissReport(req.account, req.memberKey, id, target));
  manage('pins', 'pins', (req, id) => pins.pin(req.account, req.memberKey, id, formBody(req)));
  manage('settings', 'settings', (req, id) => rooms.update(req.account, req.memberKey, id, lastValues(formBody(req, ['retentionDays']))));

  // The code is shown on the answer to this post and never again, so no redirect.
  router.post(
    '/rooms/:id/manage/invites',
    formPost(async (req, res) => {
      const made = await membership.createInvite(req.account, req.memberKey, param(req.params.id), formBody(req, ['days']));
      sendPage(res, managePage(ctx.page(req), { ...(await manageData(req)), newCode: { code: made.code, expiresAt: made.invite.expiresAt } }), 201);
    }, renderManage('invites')),
  );

  router.post(
    '/rooms/:id/manage/close',
    formPost(async (req, res) => {
      if (formBody(req).confirm !== 'on') {
        throw fieldError('confirm', 'validation.confirm_close');
      }
      await rooms.close(req.account, req.memberKey, param(req.params.id));
      res.redirect(303, '/rooms');
    }, renderManage('close')),
  );

  return router;
}
