import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { reportInput } from '../moderation/moderation.service.js';
import {
  directoryInput,
  editInput,
  historyInput,
  inviteInput,
  joinInput,
  membershipInput,
  messageInput,
  muteInput,
  pinInput,
  reactionInput,
  requestInput,
  roomInput,
  roomPatchInput,
  roomQueryInput,
} from './rooms.schemas.js';
import { param } from '../http/route-param.js';
import { preparePhotos } from '../media/media.routes.js';
import { deleteMessage, roomQuotaKey } from './message-photos.js';

/**
 * Rooms are never public: every route needs an approved member, and the
 * service answers 404 to anyone outside an unlisted room. Nothing here is
 * federated or counted in any public endpoint. Bodies and queries reach the
 * services as they came, and the services validate them (as they do for the
 * socket and the pages); the schemas declared here describe the API.
 */
export function roomsApi(api: ApiRouter, ctx: AppContext): void {
  const { rooms, membership, messages, pins } = ctx.rooms;
  const tag = 'rooms';
  const access = 'member';

  api.route({
    method: 'get', path: '/rooms', tag, access, summary: 'Your rooms, with unread counts (capped at 100)',
    handler: async ({ req, account }) => ({ rooms: await rooms.myRooms(account!, req.memberKey), notices: await membership.takeNotices(req.memberKey) }),
  });
  api.route({
    method: 'post', path: '/rooms', tag, access: 'moderator', body: roomInput, status: 201,
    summary: 'Create a room (instance moderators and admins; the creator becomes its first facilitator)',
    handler: async ({ req, account }) => ({ room: await rooms.create(account, req.memberKey, req.body) }),
  });
  api.route({
    method: 'get', path: '/rooms/directory', tag, access, query: directoryInput,
    summary: 'Rooms listed in the directory: name, description, language, join policy (no member counts)',
    handler: async ({ req }) => rooms.directory(req.query),
  });
  api.route({
    method: 'post', path: '/rooms/join', tag, access, body: joinInput, status: 201,
    summary: 'Join a room with a single-use invite code: {code, alias?, displayMode?}',
    handler: async ({ req, account }) => ({ room: await membership.joinWithCode(account, req.memberKey, req.body) }),
  });
  api.route({
    method: 'get', path: '/rooms/:id', tag, access, query: roomQueryInput,
    summary: 'A room you belong to; for others only a listed room’s directory entry (or with the request link’s key)',
    handler: async ({ req, account }) => ({ room: await rooms.get(account, req.memberKey, param(req.params.id), req.query) }),
  });
  api.route({
    method: 'patch', path: '/rooms/:id', tag, access, body: roomPatchInput,
    summary: 'Change a room’s settings, e.g. read-only or retention (facilitators; a new retention applies to new messages)',
    handler: async ({ req, account }) => ({ room: await rooms.update(account, req.memberKey, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'delete', path: '/rooms/:id', tag, access, summary: 'Close a room: its messages, members, requests, invites and pins are deleted (facilitators)',
    handler: ({ req, account }) => noContent(rooms.close(account, req.memberKey, param(req.params.id))),
  });

  api.route({
    method: 'get', path: '/rooms/:id/messages', tag, access, query: historyInput,
    summary: 'Messages, oldest first within a page: the newest page, older ones with `before`, catch-up with `after` (cursors are message cursors)',
    handler: async ({ req, account }) => messages.history(account, req.memberKey, param(req.params.id), req.query),
  });
  api.route({
    method: 'post', path: '/rooms/:id/messages', tag, access, body: messageInput, status: 201,
    summary: 'Send a message: {body (Markdown, at most 4,000 characters), replyTo?, clientId?}; with photos, multipart/form-data: the JSON in `body`, up to 4 `photos`, `alt` per photo, `sensitive` indexes',
    handler: async ({ req, account }) => {
      const photos = await preparePhotos(ctx.media, req, roomQuotaKey(req, param(req.params.id)));
      const { message } = await messages.send(account, req.memberKey, param(req.params.id), req.body);
      return { message, photos: await ctx.media.attach('room_message', message.id, photos) };
    },
  });
  api.route({
    method: 'patch', path: '/rooms/:id/messages/:messageId', tag, access, body: editInput, summary: 'Edit your message',
    handler: async ({ req, account }) => ({ message: await messages.edit(account, req.memberKey, param(req.params.id), param(req.params.messageId), req.body) }),
  });
  api.route({
    method: 'delete', path: '/rooms/:id/messages/:messageId', tag, access, summary: 'Delete your message (facilitators: any message)',
    handler: ({ req }) => noContent(deleteMessage(ctx, req, param(req.params.id), param(req.params.messageId))),
  });
  api.route({
    method: 'post', path: '/rooms/:id/messages/:messageId/reactions', tag, access, body: reactionInput,
    summary: 'Add or take back a supportive reaction; answers the counts',
    handler: async ({ req, account }) => messages.react(account, req.memberKey, param(req.params.id), param(req.params.messageId), req.body),
  });
  api.route({
    method: 'post', path: '/rooms/:id/messages/:messageId/reports', tag, access, body: reportInput, status: 201,
    summary: 'Report a message to the room’s facilitators: {reason, note?}',
    handler: async ({ req, account }) => ({ report: await messages.report(account, req.memberKey, param(req.params.id), param(req.params.messageId), req.body) }),
  });
  api.route({
    method: 'get', path: '/rooms/:id/reports', tag, access, summary: 'Open reports in the room (facilitators)',
    handler: async ({ req, account }) => ({ reports: await messages.reportList(account, req.memberKey, param(req.params.id)) }),
  });
  api.route({
    method: 'delete', path: '/rooms/:id/reports/:reportId', tag, access, summary: 'Dismiss a report (facilitators)',
    handler: ({ req, account }) => noContent(messages.dismissReport(account, req.memberKey, param(req.params.id), param(req.params.reportId))),
  });

  api.route({
    method: 'post', path: '/rooms/:id/requests', tag, access, body: requestInput, status: 201,
    summary: 'Ask to join a room: {note?, alias?, displayMode?, key? (from the request link, for an unlisted room)}',
    handler: async ({ req, account }) => ({ request: await membership.requestToJoin(account, req.memberKey, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'get', path: '/rooms/:id/requests', tag, access, summary: 'Waiting join requests (facilitators)',
    handler: async ({ req, account }) => ({ requests: await membership.joinRequests(account, req.memberKey, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/rooms/:id/requests/:requestId/approve', tag, access, summary: 'Let the applicant in (facilitators)',
    handler: async ({ req, account }) => ({ member: await membership.decideRequest(account, req.memberKey, param(req.params.id), param(req.params.requestId), true) }),
  });
  api.route({
    method: 'post', path: '/rooms/:id/requests/:requestId/refuse', tag, access, summary: 'Refuse a join request (facilitators)',
    handler: ({ req, account }) => noContent(membership.decideRequest(account, req.memberKey, param(req.params.id), param(req.params.requestId), false)),
  });

  api.route({
    method: 'post', path: '/rooms/:id/invites', tag, access, body: inviteInput, status: 201,
    summary: 'Make a single-use invite code valid for {days} (1–30, default 7); the code is shown once (facilitators)',
    handler: async ({ req, account }) => membership.createInvite(account, req.memberKey, param(req.params.id), req.body),
  });
  api.route({
    method: 'get', path: '/rooms/:id/invites', tag, access, summary: 'Unspent invites (facilitators)',
    handler: async ({ req, account }) => ({ invites: await membership.inviteList(account, req.memberKey, param(req.params.id)) }),
  });
  api.route({
    method: 'delete', path: '/rooms/:id/invites/:inviteId', tag, access, summary: 'Revoke an invite (facilitators)',
    handler: ({ req, account }) => noContent(membership.revokeInvite(account, req.memberKey, param(req.params.id), param(req.params.inviteId))),
  });

  api.route({
    method: 'get', path: '/rooms/:id/members', tag, access, summary: 'The member list (facilitators of the room only; nobody else, instance admins included)',
    handler: async ({ req, account }) => ({ members: await membership.list(account, req.memberKey, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/rooms/:id/members/:memberId/mute', tag, access, body: muteInput, summary: 'Mute a member for {minutes} (0 lifts it; facilitators)',
    handler: async ({ req, account }) => ({ member: await membership.mute(account, req.memberKey, param(req.params.id), param(req.params.memberId), req.body) }),
  });
  api.route({
    method: 'post', path: '/rooms/:id/members/:memberId/facilitator', tag, access, summary: 'Make a member a facilitator (facilitators)',
    handler: async ({ req, account }) => ({ member: await membership.makeFacilitator(account, req.memberKey, param(req.params.id), param(req.params.memberId)) }),
  });
  api.route({
    method: 'delete', path: '/rooms/:id/members/:memberId', tag, access, summary: 'Remove a member; their open pages stop receiving at once (facilitators)',
    handler: ({ req, account }) => noContent(membership.remove(account, req.memberKey, param(req.params.id), param(req.params.memberId))),
  });

  api.route({
    method: 'get', path: '/rooms/:id/pins', tag, access, summary: 'Pinned messages and resources',
    handler: async ({ req, account }) => ({ pins: await pins.list(account, req.memberKey, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/rooms/:id/pins', tag, access, body: pinInput, status: 201,
    summary: 'Pin a message {messageId} or a resource {title, body (Markdown)} (facilitators)',
    handler: async ({ req, account }) => ({ pin: await pins.pin(account, req.memberKey, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'delete', path: '/rooms/:id/pins/:pinId', tag, access, summary: 'Unpin (facilitators)',
    handler: ({ req, account }) => noContent(pins.unpin(account, req.memberKey, param(req.params.id), param(req.params.pinId))),
  });

  api.route({
    method: 'post', path: '/rooms/:id/leave', tag, access, summary: 'Leave the room',
    handler: ({ req, account }) => noContent(membership.leave(account, req.memberKey, param(req.params.id))),
  });
  api.route({
    method: 'patch', path: '/rooms/:id/membership', tag, access, body: membershipInput,
    summary: 'Your settings in the room: {displayMode (alias or pseudonym), alias, showName (see the room’s name in titles)}',
    handler: async ({ req, account }) => ({ membership: await membership.update(account, req.memberKey, param(req.params.id), req.body) }),
  });
}
