import type { Socket } from 'socket.io';
import type { Channels } from '../realtime/realtime.js';
import { ackedEvents } from '../realtime/acked-events.js';
import { onMessageListEvents } from '../realtime/message-list-events.js';
import type { I18n } from '../i18n/i18n.js';
import type { Logger } from '../logger.js';
import type { Limiter } from '../core/rate-limit.js';
import { RoomMembers } from './members.js';
import { RoomPresence } from './presence.js';
import type { RoomServices } from './rooms.service.js';
import type { RoomsLive, SharedRoomEvent } from './rooms.live.js';

/**
 * The `/rooms` namespace: visitors are refused at the handshake. Members
 * follow `room:<id>` (authorised by their membership, checked again on every
 * subscribe) and, on the same socket, send messages, catch up after a
 * reconnection and mark what they have read. Every event re-reads the account
 * and goes through the same service calls as the HTTP API.
 *
 * Client → server, each with an acknowledgement callback (events without one are ignored):
 *   send     { roomId, body, replyTo?, clientId } → { ok: true, clientId, message } once stored
 *   catch-up { roomId, after }                    → { ok: true, messages, newer }
 *   read     { roomId, cursor }                   → { ok: true }
 * Errors: { ok: false, error: { code, message, fields? } }, message in the member's language.
 *
 * Server → client on `room:<id>`: message, message-edited, message-deleted,
 * reaction, pin, presence { online } (over every process: presence.ts), room-closed; member-removed goes to the
 * removed member alone, just before their sockets leave the channel.
 *
 * Between processes (realtime/adapters.ts; on PostgreSQL through the
 * database) only ids pass: message, message-edited and pin show what members
 * wrote, so the process where it happened sends them to its own sockets, tells
 * the others the room, the event and the id, and each of those reads the
 * content once from the store and sends it to its own sockets in the room.
 * The other events carry ids and counts and go through the adapter as they are.
 *
 * Channels are named by room id, never by account. Which open socket belongs
 * to which blinded member id is known only while the socket is open, from the
 * member key it carries: it is kept in this process's memory, never in an
 * adapter payload, a cache or a log. A removal made on another process names
 * the room and the (blinded) membership id only; each process then drops its
 * own sockets of that member.
 */
export interface RoomsSocketDeps {
  readonly rooms: RoomServices;
  readonly i18n: I18n;
  readonly logger: Logger;
  /** Socket events per member, on top of the message limit the service applies to `send`. */
  readonly eventLimit: Limiter;
}

/** Online counts go out at most this often per room: a burst of joins (a meeting starting) is one event, not one per member. */
export const PRESENCE_DELAY_MS = 500;
const CHANNEL = 'room';

export function roomsRealtime(channels: Channels, deps: RoomsSocketDeps): RoomsLive {
  const { i18n, logger, eventLimit } = deps;
  const { membership, messages, pins } = deps.rooms;
  const { nsp } = channels;
  /** roomId → blinded member id → that member's sockets following the room; and each socket's seats, to undo them cheaply. */
  const seats = new Map<string, Map<string, Set<Socket>>>();
  const seatsOf = new Map<Socket, Map<string, string>>();
  const seat = (socket: Socket, roomId: string, memberId: string) => {
    const room = seats.get(roomId) ?? new Map<string, Set<Socket>>();
    seats.set(roomId, room);
    room.set(memberId, (room.get(memberId) ?? new Set()).add(socket));
    seatsOf.set(socket, (seatsOf.get(socket) ?? new Map<string, string>()).set(roomId, memberId));
  };
  const unseat = (socket: Socket, roomId: string) => {
    const memberId = seatsOf.get(socket)?.get(roomId);
    if (memberId === undefined) return;
    seatsOf.get(socket)!.delete(roomId);
    if (seatsOf.get(socket)!.size === 0) seatsOf.delete(socket);
    const room = seats.get(roomId)!;
    const sockets = room.get(memberId);
    if (sockets?.delete(socket) && sockets.size === 0) room.delete(memberId);
    if (room.size === 0) seats.delete(roomId);
  };
  channels.channel(CHANNEL, (viewer, id, key) => membership.isMember(viewer, key, id));

  const presence = new Map<string, NodeJS.Timeout>();
  const sendHere = (roomId: string, event: string, payload: Record<string, unknown>) => nsp.local.to(`${CHANNEL}:${roomId}`).emit(event, payload);
  /** Rooms where this process's own sockets joined or left, which the other processes must hear of. */
  const localChanges = new Set<string>();
  /** The count over every process; each process sends it to its own sockets in the room (presence.ts). */
  const counts = new RoomPresence({
    channels,
    localCount: (roomId) => channels.followers(CHANNEL, roomId),
    changed: (roomId) => schedulePresence(`${CHANNEL}:${roomId}`, false),
  });
  // A socket joins a room's channel only once authorised with its key: that is when it is seated.
  nsp.adapter.on('join-room', (name: string, socketId: string) => {
    const socket = nsp.sockets.get(socketId);
    const key = socket ? channels.memberKey(socket) : null;
    if (socket && key && name.startsWith(`${CHANNEL}:`)) {
      const roomId = name.slice(CHANNEL.length + 1);
      seat(socket, roomId, RoomMembers.blindId(key, roomId));
    }
  });
  nsp.adapter.on('leave-room', (name: string, socketId: string) => {
    const socket = nsp.sockets.get(socketId);
    if (socket && name.startsWith(`${CHANNEL}:`)) unseat(socket, name.slice(CHANNEL.length + 1));
  });
  /** `local`: the change is among this process's own sockets. */
  function schedulePresence(name: string, local: boolean): void {
    if (!name.startsWith(`${CHANNEL}:`)) return;
    const roomId = name.slice(CHANNEL.length + 1);
    if (local) localChanges.add(roomId);
    if (presence.has(roomId)) return;
    const timer = setTimeout(() => {
      presence.delete(roomId);
      if (localChanges.delete(roomId)) counts.localChanged(roomId);
      sendHere(roomId, 'presence', { online: counts.online(roomId) });
    }, PRESENCE_DELAY_MS);
    timer.unref();
    presence.set(roomId, timer);
  }
  // Disconnections leave every channel too, so these two cover all changes.
  nsp.adapter.on('join-room', (name: string) => schedulePresence(name, true));
  nsp.adapter.on('leave-room', (name: string) => schedulePresence(name, true));

  const on = ackedEvents(channels, { i18n, logger, eventLimit, what: 'room' });

  nsp.on('connection', (socket) => {
    onMessageListEvents(on, socket, messages);
    socket.on('disconnect', () => {
      for (const roomId of [...(seatsOf.get(socket)?.keys() ?? [])]) unseat(socket, roomId);
    });
  });

  /** Only this process knows which of its sockets belong to the member (from the keys they carry). */
  const removeHere = (roomId: string, memberId: string) => {
    for (const socket of [...(seats.get(roomId)?.get(memberId) ?? [])]) {
      socket.emit('member-removed', { roomId });
      socket.leave(`${CHANNEL}:${roomId}`);
      unseat(socket, roomId);
    }
  };
  channels.onOthers('member-removed', removeHere);

  /** Another process stored or changed something members wrote: read it once here for this process's sockets. */
  channels.onOthers('shared', (roomId, event, id) => {
    // Nobody here follows the room: nothing to read.
    if (!nsp.adapter.rooms.has(`${CHANNEL}:${roomId}`)) return;
    const read: Promise<Record<string, unknown> | null> = event === 'pin'
      ? pins.views(roomId).then((list) => ({ pins: list }))
      : event === 'message' || event === 'message-edited' ? messages.sharedPayload(roomId, event, id) : Promise.resolve(null);
    read.then(
      (payload) => {
        if (payload) sendHere(roomId, event, payload);
      },
      (error: unknown) => logger.error({ err: error, nsp: nsp.name, event }, 'reading a shared room event failed'),
    );
  });

  /**
   * Each process tells its own sockets and then takes them out, in that order: an adapter's broadcast reaches
   * even this process's sockets only once it has been sent to the others, after a leave made at once.
   */
  const closeHere = (roomId: string) => {
    sendHere(roomId, 'room-closed', { roomId });
    nsp.local.in(`${CHANNEL}:${roomId}`).socketsLeave(`${CHANNEL}:${roomId}`);
  };
  channels.onOthers('room-closed', closeHere);

  return {
    publish: (roomId, event, payload) => channels.publish(CHANNEL, roomId, event, payload),
    share(roomId: string, event: SharedRoomEvent, id: string, payload: Record<string, unknown>) {
      sendHere(roomId, event, payload);
      channels.tellOthers('shared', roomId, event, id);
    },
    remove(roomId, memberId) {
      removeHere(roomId, memberId);
      channels.tellOthers('member-removed', roomId, memberId);
    },
    close(roomId) {
      closeHere(roomId);
      channels.tellOthers('room-closed', roomId);
    },
    online: (roomId) => counts.online(roomId),
  };
}

/**
 * The service is built before the HTTP server exists and the socket layer
 * after it: this stands in until then (nothing is live yet, so nothing is lost).
 */
export function deferredLive(): RoomsLive & { attach(live: RoomsLive): void } {
  let target: RoomsLive | null = null;
  return {
    attach(live) {
      target = live;
    },
    publish: (roomId, event, payload) => target?.publish(roomId, event, payload),
    share: (roomId, event, id, payload) => target?.share(roomId, event, id, payload),
    remove: (roomId, memberId) => target?.remove(roomId, memberId),
    close: (roomId) => target?.close(roomId),
    online: (roomId) => target?.online(roomId) ?? 0,
  };
}
