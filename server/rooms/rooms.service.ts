import { DuplicateKeyError, type Store, type TxScope } from '../store/port.js';
import { humanCode, newId, normaliseCode, randomToken, safeEqual } from '../crypto.js';
import { AppError, conflict, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff, isSuspended, type AccountsService } from '../accounts/accounts.service.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import type { InstanceService } from '../instance/instance.service.js';
import { reportInput, type ModerationService } from '../moderation/moderation.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import { excerpt, renderBody } from '../content/markdown.js';
import { reactionKinds, type ReactionKind } from '../forums/reactions.js';
import {
  joinRequestsCollection,
  membershipsCollection,
  messagesCollection,
  pinsCollection,
  REQUEST_LIFETIME_MS,
  roomInvitesCollection,
  roomReactionsCollection,
  roomReportsCollection,
  roomsCollection,
  type DisplayMode,
  type JoinPolicy,
  type MembershipDoc,
  type MessageDoc,
  type PinDoc,
  type RetentionDays,
  type RoomDoc,
  type RoomRole,
} from './rooms.collections.js';
import {
  directoryInput,
  editInput,
  historyInput,
  inviteInput,
  joinInput,
  membershipInput,
  messageInput,
  muteInput,
  PAGE_SIZE,
  PIN_LIMIT,
  pinMessageInput,
  pinResourceInput,
  reactionInput,
  requestInput,
  roomInput,
  roomPatchInput,
} from './rooms.schemas.js';

/**
 * What the service tells open room pages (the `/rooms` socket.io namespace).
 * Payloads are the same for every member: nothing in them depends on who receives them.
 */
export interface RoomsLive {
  publish(roomId: string, event: string, payload: Record<string, unknown>): void;
  /** Stops delivery to every socket of the account at once, telling them why first. */
  remove(roomId: string, accountId: string): void;
  /** Tells everyone the room is closed and ends its stream. */
  close(roomId: string): void;
  /** How many members have the room open now. */
  online(roomId: string): number;
}

export type AuthorView = { readonly kind: DisplayMode; readonly label: string } | { readonly kind: 'deleted'; readonly label: null };

/** A message as every member sees it: one payload valid for all of them. */
export interface MessageView {
  readonly id: string;
  readonly roomId: string;
  readonly author: AuthorView;
  readonly html: string;
  readonly replyTo: { readonly id: string; readonly author: AuthorView | null; readonly excerpt: string | null } | null;
  readonly reactions: Readonly<Record<ReactionKind, number>>;
  readonly createdAt: number;
  readonly editedAt: number | null;
  /** Where this message sits in the room: `before`/`after` take it to page from here. */
  readonly cursor: string;
}

/** A message as one member sees it over HTTP, with what they may do with it. */
export interface MemberMessageView extends MessageView {
  readonly mine: boolean;
  readonly myReactions: readonly ReactionKind[];
  readonly canDelete: boolean;
  /** The Markdown source, for its author only (to edit it). */
  readonly body?: string;
}

export interface MembershipView {
  readonly id: string;
  readonly role: RoomRole;
  readonly displayMode: DisplayMode;
  readonly alias: string;
  readonly showName: boolean;
  readonly mutedUntil: number | null;
}

export interface RoomView {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly purpose: string;
  readonly language: string;
  readonly joinPolicy: JoinPolicy;
  readonly retentionDays: RetentionDays;
  readonly listed: boolean;
  readonly readOnly: boolean;
  readonly createdAt: number;
  readonly online: number;
  readonly membership: MembershipView;
  /** Why the member cannot send now (an error code), or null. */
  readonly postBlocked: string | null;
  /** The key of the request link, for facilitators only. */
  readonly requestKey: string | null;
}

/** What someone outside the room may learn about it: the directory entry. */
export interface RoomPreview {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly language: string;
  readonly joinPolicy: JoinPolicy;
  readonly membership: null;
  /** The viewer's join request is waiting. */
  readonly requested: boolean;
}

export interface MyRoomView {
  readonly id: string;
  readonly name: string;
  readonly showName: boolean;
  readonly role: RoomRole;
  /** Messages by others since the member last looked, capped at UNREAD_CAP. */
  readonly unread: number;
}

export interface MemberView {
  readonly id: string;
  readonly handle: string | null;
  readonly alias: string;
  readonly displayMode: DisplayMode;
  readonly role: RoomRole;
  readonly mutedUntil: number | null;
  readonly joinedAt: number;
}

export interface PinView {
  readonly id: string;
  readonly messageId: string | null;
  readonly title: string;
  readonly html: string;
  readonly author: AuthorView | null;
  readonly createdAt: number;
}

export interface History {
  readonly messages: MemberMessageView[];
  /** Cursor for the page before this one, or null at the start of the room's history. */
  readonly older: string | null;
  /** Cursor to continue catching up from, or null when this page reached the newest message. */
  readonly newer: string | null;
}

export interface RoomsDeps {
  readonly store: Store;
  readonly accounts: AccountsService;
  readonly instance: InstanceService;
  readonly moderation: ModerationService;
  readonly notifications: NotificationsService;
  readonly hooks: AccountHooks;
  /** Messages per member (API and socket together). */
  readonly messageLimit: Limiter;
  readonly live: RoomsLive;
}

export const UNREAD_CAP = 100;
const DAY = 86_400_000;
const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Case, width, accents and spacing do not make a different alias. */
export function aliasKey(alias: string): string {
  return alias.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

const reactionCounts = (doc: { reactions: Record<string, number> }) =>
  Object.fromEntries(reactionKinds.map((k) => [k, doc.reactions[k] ?? 0])) as Record<ReactionKind, number>;

function authorOf(m: MessageDoc): AuthorView {
  return m.authorKind === 'deleted' || m.authorLabel === null ? { kind: 'deleted', label: null } : { kind: m.authorKind, label: m.authorLabel };
}

function membershipView(m: MembershipDoc): MembershipView {
  return { id: m.id, role: m.role, displayMode: m.displayMode, alias: m.alias, showName: m.showName, mutedUntil: m.mutedUntil };
}

/** Private peer-support rooms: every rule about them lives here, for the pages, the API and the socket alike. */
export function createRoomsService(deps: RoomsDeps) {
  const { store, accounts, instance, moderation, notifications, hooks, messageLimit, live } = deps;
  const rooms = store.collection(roomsCollection);
  const members = store.collection(membershipsCollection);
  const requests = store.collection(joinRequestsCollection);
  const invites = store.collection(roomInvitesCollection);
  const messages = store.collection(messagesCollection);
  const reactions = store.collection(roomReactionsCollection);
  const pins = store.collection(pinsCollection);
  const reports = store.collection(roomReportsCollection);

  const inviteHash = (code: string) => instance.keyedHash('room-invite', normaliseCode(code));
  const active = (a: AccountDoc | null): a is AccountDoc => !!a && a.status === 'active';

  // ---- loading with checks ---------------------------------------------

  async function loadRoom(roomId: unknown): Promise<RoomDoc> {
    const room = typeof roomId === 'string' && ROOM_ID.test(roomId) ? await rooms.get(roomId) : null;
    if (!room) throw notFound('room_not_found');
    return room;
  }

  /**
   * The room and the actor's membership. Someone outside an unlisted room is
   * told it does not exist, exactly as for a room that does not: its existence must not leak.
   */
  async function memberContext(actor: AccountDoc | null, roomId: unknown): Promise<{ room: RoomDoc; membership: MembershipDoc }> {
    if (!actor) throw unauthorized('login_required');
    const room = await loadRoom(roomId);
    const membership = active(actor) ? await members.findOne({ roomId: room.id, accountId: actor.id }) : null;
    if (!membership) throw room.listed ? forbidden('room_members_only') : notFound('room_not_found');
    return { room, membership };
  }

  async function facilitatorContext(actor: AccountDoc | null, roomId: unknown) {
    const found = await memberContext(actor, roomId);
    if (found.membership.role !== 'facilitator') throw forbidden('facilitator_only');
    return found;
  }

  async function messageIn(room: RoomDoc, messageId: unknown): Promise<MessageDoc> {
    const message = typeof messageId === 'string' && ROOM_ID.test(messageId) ? await messages.get(messageId) : null;
    if (!message || message.roomId !== room.id) throw notFound('message_not_found');
    return message;
  }

  async function memberIn(room: RoomDoc, memberId: unknown): Promise<MembershipDoc> {
    const member = typeof memberId === 'string' && ROOM_ID.test(memberId) ? await members.get(memberId) : null;
    if (!member || member.roomId !== room.id) throw notFound('member_not_found');
    return member;
  }

  async function facilitatorIds(roomId: string): Promise<string[]> {
    const page = await members.find({ where: { roomId, role: 'facilitator' }, orderBy: { field: 'joinedAt' }, limit: 100 });
    return page.items.map((m) => m.accountId);
  }

  // ---- who may post ----------------------------------------------------

  function postBlock(actor: AccountDoc, room: RoomDoc, membership: MembershipDoc, now = Date.now()): string | null {
    if (isSuspended(actor, now)) return 'suspended';
    if (membership.mutedUntil !== null && membership.mutedUntil > now) return 'room_muted';
    if (room.readOnly && membership.role !== 'facilitator') return 'room_read_only';
    return null;
  }

  /** An instant as a reader anywhere can read it in an error message, which has no locale of its own. */
  const utcMinute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

  function throwBlock(code: string, actor: AccountDoc, membership: MembershipDoc): never {
    switch (code) {
      case 'suspended':
        throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(actor.suspendedUntil ?? 0).toISOString().slice(0, 10) });
      case 'room_muted':
        throw new AppError(403, 'room_muted', 'error.room_muted', { until: utcMinute(membership.mutedUntil ?? 0) });
      default:
        throw conflict(code);
    }
  }

  function render(body: string): string {
    const html = renderBody(body);
    // Room messages have no approval queue: only blocking filters apply; members report the rest to facilitators.
    if (moderation.checkText(body) === 'block') throw unprocessable('filtered');
    return html;
  }

  // ---- views -----------------------------------------------------------

  async function messageViews(list: readonly MessageDoc[]): Promise<MessageView[]> {
    const known = new Map(list.map((m) => [m.id, m]));
    const missing = [...new Set(list.map((m) => m.replyTo).filter((id): id is string => !!id && !known.has(id)))];
    for (const m of await messages.getMany(missing)) known.set(m.id, m);
    return list.map((m) => messageView(m, known.get(m.replyTo ?? '')));
  }

  function messageView(m: MessageDoc, replied: MessageDoc | undefined): MessageView {
    const shown = replied && replied.roomId === m.roomId ? replied : undefined;
    return {
      id: m.id,
      roomId: m.roomId,
      author: authorOf(m),
      html: m.html,
      replyTo: m.replyTo ? { id: m.replyTo, author: shown ? authorOf(shown) : null, excerpt: shown ? excerpt(shown.body, 140) : null } : null,
      reactions: reactionCounts(m),
      createdAt: m.createdAt,
      editedAt: m.editedAt,
      cursor: String(m.seq),
    };
  }

  async function memberViews(viewer: AccountDoc, membership: MembershipDoc, list: readonly MessageDoc[]): Promise<MemberMessageView[]> {
    const shared = await messageViews(list);
    const mine = new Map<string, ReactionKind[]>();
    const oldest = list.reduce((min, m) => Math.min(min, m.createdAt), Infinity);
    if (list.length > 0) {
      const found = await reactions.find({
        where: { roomId: membership.roomId, accountId: viewer.id },
        orderBy: { field: 'createdAt' },
        range: { gte: oldest },
        limit: 1000,
      });
      for (const r of found.items) mine.set(r.messageId, [...(mine.get(r.messageId) ?? []), r.kind as ReactionKind]);
    }
    return shared.map((view, i) => {
      const doc = list[i]!;
      const own = doc.authorId === viewer.id;
      return {
        ...view,
        mine: own,
        myReactions: mine.get(doc.id) ?? [],
        canDelete: own || membership.role === 'facilitator',
        ...(own ? { body: doc.body } : {}),
      };
    });
  }

  function roomView(actor: AccountDoc, room: RoomDoc, membership: MembershipDoc): RoomView {
    const facilitator = membership.role === 'facilitator';
    return {
      id: room.id,
      name: room.name,
      description: room.description,
      purpose: room.purpose,
      language: room.language,
      joinPolicy: room.joinPolicy,
      retentionDays: room.retentionDays,
      listed: room.listed,
      readOnly: room.readOnly,
      createdAt: room.createdAt,
      online: live.online(room.id),
      membership: membershipView(membership),
      postBlocked: postBlock(actor, room, membership),
      requestKey: facilitator ? room.requestKey : null,
    };
  }

  const preview = (room: RoomDoc, requested: boolean): RoomPreview => ({
    id: room.id,
    name: room.name,
    description: room.description,
    language: room.language,
    joinPolicy: room.joinPolicy,
    membership: null,
    requested,
  });

  async function pinViews(roomId: string): Promise<PinView[]> {
    const list = (await pins.find({ where: { roomId }, orderBy: { field: 'createdAt' }, limit: PIN_LIMIT })).items;
    const pinned = new Map((await messages.getMany(list.map((p) => p.messageId).filter((id): id is string => !!id))).map((m) => [m.id, m]));
    const out: PinView[] = [];
    for (const p of list) {
      if (p.messageId === null) {
        out.push({ id: p.id, messageId: null, title: p.title, html: p.html, author: null, createdAt: p.createdAt });
        continue;
      }
      const m = pinned.get(p.messageId);
      if (m) out.push({ id: p.id, messageId: m.id, title: '', html: m.html, author: authorOf(m), createdAt: p.createdAt });
    }
    return out;
  }

  async function publishPins(roomId: string): Promise<void> {
    live.publish(roomId, 'pin', { pins: await pinViews(roomId) });
  }

  // ---- membership ------------------------------------------------------

  /** Adds a member inside `tx`; an alias already in use in the room is a 409, never a silent rename. */
  async function addMember(
    tx: TxScope,
    room: RoomDoc,
    accountId: string,
    role: RoomRole,
    choice: { alias?: string | null; displayMode: DisplayMode },
  ): Promise<MembershipDoc> {
    const col = tx.collection(membershipsCollection);
    if (await col.findOne({ roomId: room.id, accountId })) throw conflict('already_member');
    let alias = choice.alias ?? null;
    if (alias !== null && (await col.findOne({ roomId: room.id, aliasKey: aliasKey(alias) }))) throw conflict('alias_taken');
    // A neutral generated alias: four digits while the room is small, more when they run short.
    for (let attempt = 0; alias === null; attempt++) {
      const candidate = `Member ${1000 + Math.floor(Math.random() * (attempt < 5 ? 9000 : 9_999_000))}`;
      if (!(await col.findOne({ roomId: room.id, aliasKey: aliasKey(candidate) }))) alias = candidate;
    }
    const doc: MembershipDoc = {
      id: newId(),
      roomId: room.id,
      accountId,
      role,
      displayMode: choice.displayMode,
      alias,
      aliasKey: aliasKey(alias),
      showName: false,
      mutedUntil: null,
      lastReadSeq: room.seq,
      joinedAt: Date.now(),
    };
    await col.insert(doc);
    return doc;
  }

  /** Runs a write that adds a member; a unique-index clash from a concurrent join becomes the same 409 as the checks give. */
  async function joining<R>(fn: (tx: TxScope) => Promise<R>): Promise<R> {
    try {
      return await store.transaction(fn);
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict(error.fields.includes('aliasKey') ? 'alias_taken' : 'already_member');
      throw error;
    }
  }

  async function unreadFor(m: MembershipDoc): Promise<number> {
    const found = await messages.find({ where: { roomId: m.roomId }, orderBy: { field: 'seq' }, range: { gt: m.lastReadSeq }, limit: UNREAD_CAP + 1 });
    return Math.min(UNREAD_CAP, found.items.filter((x) => x.authorId !== m.accountId).length);
  }

  async function markRead(membership: MembershipDoc, seq: number): Promise<void> {
    if (seq > membership.lastReadSeq) await members.patch(membership.id, { lastReadSeq: seq });
  }

  /** Deletes a message and what hangs on it (reactions, pins, reports) inside `tx`. */
  async function deleteMessageIn(tx: TxScope, messageId: string): Promise<boolean> {
    await tx.collection(roomReactionsCollection).deleteWhere({ messageId });
    const unpinned = await tx.collection(pinsCollection).deleteWhere({ messageId });
    await tx.collection(roomReportsCollection).deleteWhere({ messageId });
    await tx.collection(messagesCollection).delete(messageId);
    return unpinned > 0;
  }

  // ---- account lifecycle -----------------------------------------------

  hooks.onDeleted(async (tx, accountId, content) => {
    await tx.collection(membershipsCollection).deleteWhere({ accountId });
    await tx.collection(joinRequestsCollection).deleteWhere({ accountId });
    await tx.collection(roomReactionsCollection).deleteWhere({ accountId });
    await tx.collection(roomReportsCollection).deleteWhere({ reporterId: accountId });
    const col = tx.collection(messagesCollection);
    // Every message handled leaves the authorId set, so the first page is always the next one.
    for (;;) {
      const page = await col.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200 });
      if (page.items.length === 0) break;
      for (const m of page.items) {
        if (content === 'delete') await deleteMessageIn(tx, m.id);
        else await col.patch(m.id, { authorId: null, authorLabel: null, authorKind: 'deleted', clientId: undefined });
      }
    }
  });

  /** The member's own memberships, requests and messages; never anything about other members. */
  hooks.exporter('rooms', async (accountId) => {
    const memberships = [];
    let after: string | null = null;
    do {
      const page = await members.find({ where: { accountId }, orderBy: { field: 'joinedAt' }, limit: 500, after });
      for (const m of page.items) memberships.push({ roomId: m.roomId, alias: m.alias, displayMode: m.displayMode, role: m.role, joinedAt: m.joinedAt });
      after = page.next;
    } while (after);
    const pending = (await requests.find({ where: { accountId }, orderBy: { field: 'createdAt' }, limit: 500 })).items.map((r) => ({
      roomId: r.roomId,
      note: r.note,
      createdAt: r.createdAt,
    }));
    const own = [];
    after = null;
    do {
      const page = await messages.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 500, after });
      for (const m of page.items) own.push({ id: m.id, roomId: m.roomId, body: m.body, replyTo: m.replyTo, createdAt: m.createdAt, editedAt: m.editedAt });
      after = page.next;
    } while (after);
    return { memberships, requests: pending, messages: own };
  });

  // ---- the service -----------------------------------------------------

  return {
    /** Whether `viewer` may follow the room's live channel now. */
    async isMember(viewer: AccountDoc | null, roomId: string): Promise<boolean> {
      if (!active(viewer) || !ROOM_ID.test(roomId)) return false;
      return (await members.findOne({ roomId, accountId: viewer.id })) !== null;
    },

    async myRooms(actor: AccountDoc): Promise<MyRoomView[]> {
      const out: MyRoomView[] = [];
      let after: string | null = null;
      do {
        const page = await members.find({ where: { accountId: actor.id }, orderBy: { field: 'joinedAt' }, limit: 200, after });
        const found = new Map((await rooms.getMany(page.items.map((m) => m.roomId))).map((r) => [r.id, r]));
        for (const m of page.items) {
          const room = found.get(m.roomId);
          if (room) out.push({ id: room.id, name: room.name, showName: m.showName, role: m.role, unread: await unreadFor(m) });
        }
        after = page.next;
      } while (after);
      return out;
    },

    async directory(raw: unknown = {}): Promise<{ rooms: Omit<RoomPreview, 'membership' | 'requested'>[]; next: string | null }> {
      const input = parseInput(directoryInput, raw);
      const page = await rooms.find({ where: { listed: true }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 50, after: input.after ?? null });
      return {
        rooms: page.items.map((r) => ({ id: r.id, name: r.name, description: r.description, language: r.language, joinPolicy: r.joinPolicy })),
        next: page.next,
      };
    },

    async createRoom(actor: AccountDoc | null, raw: unknown): Promise<RoomView> {
      if (!isStaff(actor)) throw forbidden('moderator_only');
      const creator = actor!;
      const input = parseInput(roomInput, raw);
      const now = Date.now();
      const room: RoomDoc = {
        id: newId(),
        name: input.name,
        description: input.description,
        purpose: input.purpose,
        language: input.language,
        joinPolicy: input.joinPolicy,
        retentionDays: input.retentionDays,
        listed: input.listed,
        readOnly: false,
        requestKey: randomToken(12),
        seq: 0,
        createdAt: now,
        updatedAt: now,
      };
      const membership = await store.transaction(async (tx) => {
        await tx.collection(roomsCollection).insert(room);
        return addMember(tx, room, creator.id, 'facilitator', { alias: input.alias, displayMode: 'alias' });
      });
      return roomView(creator, room, membership);
    },

    /** The room for a member; its directory entry for someone who may ask to join; else 404. */
    async getRoom(actor: AccountDoc | null, roomId: unknown, key?: string): Promise<RoomView | RoomPreview> {
      if (!actor) throw unauthorized('login_required');
      const room = await loadRoom(roomId);
      const membership = active(actor) ? await members.findOne({ roomId: room.id, accountId: actor.id }) : null;
      if (membership) return roomView(actor, room, membership);
      if (!room.listed && !(key && safeEqual(key, room.requestKey))) throw notFound('room_not_found');
      return preview(room, (await requests.findOne({ roomId: room.id, accountId: actor.id })) !== null);
    },

    async updateRoom(actor: AccountDoc | null, roomId: unknown, raw: unknown): Promise<RoomView> {
      const { room, membership } = await facilitatorContext(actor, roomId);
      const input = parseInput(roomPatchInput, raw);
      const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<RoomDoc>;
      // A new retention applies to messages sent from now on: each message carries its own expiry.
      const updated = (await rooms.patch(room.id, { ...changes, updatedAt: Date.now() }))!;
      return roomView(actor!, updated, membership);
    },

    /** Closes the room: its messages, members, requests, invites, pins and reports are deleted, not flagged. */
    async closeRoom(actor: AccountDoc | null, roomId: unknown): Promise<void> {
      const { room } = await facilitatorContext(actor, roomId);
      await store.transaction(async (tx) => {
        const where = { roomId: room.id };
        await tx.collection(messagesCollection).deleteWhere(where);
        await tx.collection(roomReactionsCollection).deleteWhere(where);
        await tx.collection(pinsCollection).deleteWhere(where);
        await tx.collection(roomReportsCollection).deleteWhere(where);
        await tx.collection(roomInvitesCollection).deleteWhere(where);
        await tx.collection(joinRequestsCollection).deleteWhere(where);
        await tx.collection(membershipsCollection).deleteWhere(where);
        await tx.collection(roomsCollection).delete(room.id);
      });
      live.close(room.id);
    },

    // ---- messages --------------------------------------------------------

    /** A page of history: the newest page without a cursor, older ones with `before`, catch-up with `after`. */
    async history(actor: AccountDoc | null, roomId: unknown, raw: unknown = {}): Promise<History> {
      const { room, membership } = await memberContext(actor, roomId);
      const input = parseInput(historyInput, raw);
      if (input.before !== undefined && input.after !== undefined) throw unprocessable('history_direction');
      const limit = input.limit ?? PAGE_SIZE;
      if (input.after !== undefined) {
        const found = await messages.find({ where: { roomId: room.id }, orderBy: { field: 'seq' }, range: { gt: Number(input.after) }, limit: limit + 1 });
        const items = found.items.slice(0, limit);
        const more = found.items.length > limit;
        if (items.length > 0) await markRead(membership, items[items.length - 1]!.seq);
        return { messages: await memberViews(actor!, membership, items), older: null, newer: more ? String(items[items.length - 1]!.seq) : null };
      }
      const found = await messages.find({
        where: { roomId: room.id },
        orderBy: { field: 'seq', direction: 'desc' },
        ...(input.before !== undefined ? { range: { lt: Number(input.before) } } : {}),
        limit: limit + 1,
      });
      const items = found.items.slice(0, limit).reverse();
      if (input.before === undefined) await markRead(membership, room.seq);
      return {
        messages: await memberViews(actor!, membership, items),
        older: found.items.length > limit ? String(items[0]!.seq) : null,
        newer: input.before !== undefined && items.length > 0 ? String(items[items.length - 1]!.seq) : null,
      };
    },

    /** The member has seen the room up to `cursor` (their own bookkeeping; nobody else ever sees it). */
    async markRead(actor: AccountDoc | null, roomId: unknown, cursor: string): Promise<void> {
      const { room, membership } = await memberContext(actor, roomId);
      await markRead(membership, Math.min(Number(cursor), room.seq));
    },

    /**
     * Stores a message, then broadcasts it: nothing is shown as sent that is not stored.
     * A retry with the same clientId answers the message stored the first time.
     */
    async sendMessage(actor: AccountDoc | null, roomId: unknown, raw: unknown): Promise<{ message: MemberMessageView; shared: MessageView }> {
      const { room, membership } = await memberContext(actor, roomId);
      const author = actor!;
      const input = parseInput(messageInput, raw);
      if (input.clientId) {
        const stored = await messages.findOne({ roomId: room.id, authorId: author.id, clientId: input.clientId });
        if (stored) {
          const [shared] = await messageViews([stored]);
          const [message] = await memberViews(author, membership, [stored]);
          return { message: message!, shared: shared! };
        }
      }
      const block = postBlock(author, room, membership);
      if (block) throwBlock(block, author, membership);
      await messageLimit.consume(author.id);
      const html = render(input.body);
      const replied = input.replyTo ? await messages.get(input.replyTo) : undefined;
      if (input.replyTo && (!replied || replied.roomId !== room.id)) throw unprocessable('reply_invalid');
      const now = Date.now();
      let stored: MessageDoc;
      try {
        stored = await store.transaction(async (tx) => {
          // The sequence number is taken inside the transaction that stores the message, so it follows commit order.
          const counted = await tx.collection(roomsCollection).increment(room.id, { seq: 1 });
          if (!counted) throw notFound('room_not_found');
          const doc: MessageDoc = {
            id: newId(),
            roomId: room.id,
            seq: counted.seq,
            authorId: author.id,
            authorLabel: membership.displayMode === 'pseudonym' ? author.handle : membership.alias,
            authorKind: membership.displayMode,
            body: input.body,
            html,
            replyTo: input.replyTo ?? null,
            ...(input.clientId ? { clientId: input.clientId } : {}),
            reactions: {},
            createdAt: now,
            editedAt: null,
            expiresAt: now + counted.retentionDays * DAY,
          };
          await tx.collection(messagesCollection).insert(doc);
          return doc;
        });
      } catch (error) {
        if (error instanceof DuplicateKeyError && input.clientId) {
          const first = await messages.findOne({ roomId: room.id, authorId: author.id, clientId: input.clientId });
          if (first) return { message: (await memberViews(author, membership, [first]))[0]!, shared: (await messageViews([first]))[0]! };
        }
        throw error;
      }
      const shared = messageView(stored, replied ?? undefined);
      live.publish(room.id, 'message', { ...shared });
      return { message: { ...shared, mine: true, myReactions: [], canDelete: true, body: stored.body }, shared };
    },

    async getMessage(actor: AccountDoc | null, roomId: unknown, messageId: unknown): Promise<MemberMessageView> {
      const { room, membership } = await memberContext(actor, roomId);
      const message = await messageIn(room, messageId);
      return (await memberViews(actor!, membership, [message]))[0]!;
    },

    async editMessage(actor: AccountDoc | null, roomId: unknown, messageId: unknown, raw: unknown): Promise<MemberMessageView> {
      const { room, membership } = await memberContext(actor, roomId);
      const message = await messageIn(room, messageId);
      if (message.authorId !== actor!.id) throw forbidden('not_author');
      const block = postBlock(actor!, room, membership);
      if (block) throwBlock(block, actor!, membership);
      const { body } = parseInput(editInput, raw);
      const html = render(body);
      const updated = (await messages.patch(message.id, { body, html, editedAt: Date.now() }))!;
      live.publish(room.id, 'message-edited', { id: updated.id, html: updated.html, editedAt: updated.editedAt, cursor: String(updated.seq) });
      return (await memberViews(actor!, membership, [updated]))[0]!;
    },

    /** The author or a facilitator deletes a message: it is gone from the database. */
    async deleteMessage(actor: AccountDoc | null, roomId: unknown, messageId: unknown): Promise<void> {
      const { room, membership } = await memberContext(actor, roomId);
      const message = await messageIn(room, messageId);
      if (message.authorId !== actor!.id && membership.role !== 'facilitator') throw forbidden('not_author');
      const unpinned = await store.transaction((tx) => deleteMessageIn(tx, message.id));
      live.publish(room.id, 'message-deleted', { id: message.id });
      if (unpinned) await publishPins(room.id);
    },

    async react(actor: AccountDoc | null, roomId: unknown, messageId: unknown, raw: unknown): Promise<{ reactions: Record<ReactionKind, number>; mine: boolean }> {
      const { room, membership } = await memberContext(actor, roomId);
      const message = await messageIn(room, messageId);
      const { kind } = parseInput(reactionInput, raw);
      if (membership.mutedUntil !== null && membership.mutedUntil > Date.now()) throwBlock('room_muted', actor!, membership);
      const id = `${message.id}.${actor!.id}.${kind}`;
      const result = await store.transaction(async (tx) => {
        const rcol = tx.collection(roomReactionsCollection);
        const mcol = tx.collection(messagesCollection);
        const fresh = await mcol.get(message.id);
        if (!fresh) throw notFound('message_not_found');
        const existing = await rcol.get(id);
        if (existing) await rcol.delete(id);
        else await rcol.insert({ id, roomId: room.id, messageId: message.id, accountId: actor!.id, kind, createdAt: Date.now(), expiresAt: fresh.expiresAt });
        const counts = { ...fresh.reactions, [kind]: Math.max(0, (fresh.reactions[kind] ?? 0) + (existing ? -1 : 1)) };
        return { doc: (await mcol.patch(message.id, { reactions: counts }))!, mine: !existing };
      });
      const counts = reactionCounts(result.doc);
      live.publish(room.id, 'reaction', { id: message.id, reactions: counts });
      return { reactions: counts, mine: result.mine };
    },

    /** A report to the room's facilitators: it stays with the room and never reaches the instance's moderators. */
    async report(actor: AccountDoc | null, roomId: unknown, messageId: unknown, raw: unknown) {
      const { room } = await memberContext(actor, roomId);
      const message = await messageIn(room, messageId);
      if (message.authorId === actor!.id) throw unprocessable('report_own');
      const input = parseInput(reportInput, raw);
      const existing = await reports.findOne({ messageId: message.id, reporterId: actor!.id });
      const report = existing
        ? (await reports.patch(existing.id, { reason: input.reason, note: input.note }))!
        : await reports.insert({
            id: newId(),
            roomId: room.id,
            messageId: message.id,
            reporterId: actor!.id,
            reason: input.reason,
            note: input.note,
            createdAt: Date.now(),
            expiresAt: message.expiresAt,
          });
      if (!existing) await notifications.notify(await facilitatorIds(room.id), 'room_report', `/rooms/${room.id}/manage#reports`);
      return { id: report.id, reason: report.reason, createdAt: report.createdAt };
    },

    async reports(actor: AccountDoc | null, roomId: unknown) {
      const { room } = await facilitatorContext(actor, roomId);
      const list = (await reports.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
      const reported = await messages.getMany([...new Set(list.map((r) => r.messageId))]);
      const views = new Map((await messageViews(reported)).map((v) => [v.id, v]));
      const authors = new Map(reported.map((m) => [m.id, m.authorId]));
      const memberships = new Map<string, MembershipDoc | null>();
      for (const authorId of new Set([...authors.values()].filter((a): a is string => !!a))) {
        memberships.set(authorId, await members.findOne({ roomId: room.id, accountId: authorId }));
      }
      return list.map((r) => {
        const authorId = authors.get(r.messageId);
        return {
          id: r.id,
          reason: r.reason,
          note: r.note,
          createdAt: r.createdAt,
          message: views.get(r.messageId) ?? null,
          /** The author's membership, so the facilitator can mute or remove them; null when they left. */
          memberId: authorId ? (memberships.get(authorId)?.id ?? null) : null,
        };
      });
    },

    async dismissReport(actor: AccountDoc | null, roomId: unknown, reportId: unknown): Promise<void> {
      const { room } = await facilitatorContext(actor, roomId);
      const report = typeof reportId === 'string' && ROOM_ID.test(reportId) ? await reports.get(reportId) : null;
      if (!report || report.roomId !== room.id) throw notFound('report_not_found');
      await reports.delete(report.id);
    },

    // ---- pins --------------------------------------------------------------

    async pins(actor: AccountDoc | null, roomId: unknown): Promise<PinView[]> {
      const { room } = await memberContext(actor, roomId);
      return pinViews(room.id);
    },

    async pin(actor: AccountDoc | null, roomId: unknown, raw: unknown): Promise<PinView> {
      const { room } = await facilitatorContext(actor, roomId);
      if ((await pins.count({ roomId: room.id })) >= PIN_LIMIT) throw conflict('too_many_pins', { max: PIN_LIMIT });
      const now = Date.now();
      let doc: PinDoc;
      if (raw && typeof raw === 'object' && (raw as { messageId?: unknown }).messageId !== undefined) {
        const { messageId } = parseInput(pinMessageInput, raw);
        const message = await messageIn(room, messageId);
        if (await pins.findOne({ messageId: message.id })) throw conflict('already_pinned');
        doc = { id: newId(), roomId: room.id, messageId: message.id, title: '', body: '', html: '', createdAt: now, expiresAt: message.expiresAt };
      } else {
        const input = parseInput(pinResourceInput, raw);
        doc = { id: newId(), roomId: room.id, messageId: null, title: input.title, body: input.body, html: render(input.body), createdAt: now, expiresAt: null };
      }
      await pins.insert(doc);
      await publishPins(room.id);
      return (await pinViews(room.id)).find((p) => p.id === doc.id)!;
    },

    async unpin(actor: AccountDoc | null, roomId: unknown, pinId: unknown): Promise<void> {
      const { room } = await facilitatorContext(actor, roomId);
      const pin = typeof pinId === 'string' && ROOM_ID.test(pinId) ? await pins.get(pinId) : null;
      if (!pin || pin.roomId !== room.id) throw notFound('pin_not_found');
      await pins.delete(pin.id);
      await publishPins(room.id);
    },

    // ---- joining -------------------------------------------------------------

    async requestToJoin(actor: AccountDoc | null, roomId: unknown, raw: unknown): Promise<{ createdAt: number }> {
      if (!actor) throw unauthorized('login_required');
      if (!active(actor)) throw forbidden('pending_approval');
      const input = parseInput(requestInput, raw);
      const room = await loadRoom(roomId);
      const member = await members.findOne({ roomId: room.id, accountId: actor.id });
      if (!member && !room.listed && !(input.key && safeEqual(input.key, room.requestKey))) throw notFound('room_not_found');
      if (member) throw conflict('already_member');
      if (room.joinPolicy !== 'request') throw conflict('invite_only');
      const now = Date.now();
      try {
        await requests.insert({
          id: newId(),
          roomId: room.id,
          accountId: actor.id,
          note: input.note,
          alias: input.alias ?? null,
          displayMode: input.displayMode,
          createdAt: now,
          expiresAt: now + REQUEST_LIFETIME_MS,
        });
      } catch (error) {
        if (error instanceof DuplicateKeyError) throw conflict('request_exists');
        throw error;
      }
      await notifications.notify(await facilitatorIds(room.id), 'room_request', `/rooms/${room.id}/manage#requests`);
      return { createdAt: now };
    },

    async joinRequests(actor: AccountDoc | null, roomId: unknown) {
      const { room } = await facilitatorContext(actor, roomId);
      const list = (await requests.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
      const names = await accounts.publicNames(list.map((r) => r.accountId));
      return list
        .filter((r) => names.has(r.accountId))
        .map((r) => ({ id: r.id, handle: names.get(r.accountId)!.handle, note: r.note, alias: r.alias, createdAt: r.createdAt }));
    },

    /** Lets the applicant in. An alias taken since the request was made is replaced by a generated one, which they can change. */
    async decideRequest(actor: AccountDoc | null, roomId: unknown, requestId: unknown, approve: boolean): Promise<MemberView | null> {
      const { room } = await facilitatorContext(actor, roomId);
      const request = typeof requestId === 'string' && ROOM_ID.test(requestId) ? await requests.get(requestId) : null;
      if (!request || request.roomId !== room.id) throw notFound('request_not_found');
      if (!approve) {
        await requests.delete(request.id);
        await notifications.notify([request.accountId], 'room_refused', '/rooms');
        return null;
      }
      const taken = request.alias !== null && (await members.findOne({ roomId: room.id, aliasKey: aliasKey(request.alias) })) !== null;
      const membership = await joining(async (tx) => {
        await tx.collection(joinRequestsCollection).delete(request.id);
        return addMember(tx, room, request.accountId, 'member', { alias: taken ? null : request.alias, displayMode: request.displayMode });
      });
      await notifications.notify([request.accountId], 'room_approved', `/rooms/${room.id}`);
      const names = await accounts.publicNames([membership.accountId]);
      return memberView(membership, names.get(membership.accountId)?.handle ?? null);
    },

    async createInvite(actor: AccountDoc | null, roomId: unknown, raw: unknown) {
      const { room } = await facilitatorContext(actor, roomId);
      const { days } = parseInput(inviteInput, raw);
      const code = humanCode(3, 4);
      const now = Date.now();
      const doc = { id: newId(), roomId: room.id, hash: inviteHash(code), createdAt: now, expiresAt: now + days * DAY };
      await invites.insert(doc);
      return { code, invite: { id: doc.id, createdAt: doc.createdAt, expiresAt: doc.expiresAt } };
    },

    async invites(actor: AccountDoc | null, roomId: unknown) {
      const { room } = await facilitatorContext(actor, roomId);
      const page = await invites.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200 });
      return page.items.map((i) => ({ id: i.id, createdAt: i.createdAt, expiresAt: i.expiresAt }));
    },

    async revokeInvite(actor: AccountDoc | null, roomId: unknown, inviteId: unknown): Promise<void> {
      const { room } = await facilitatorContext(actor, roomId);
      const invite = typeof inviteId === 'string' && ROOM_ID.test(inviteId) ? await invites.get(inviteId) : null;
      if (!invite || invite.roomId !== room.id) throw notFound('invite_not_found');
      await invites.delete(invite.id);
    },

    /** Spends a single-use code; an unknown, spent or expired code is one and the same 422. */
    async joinWithCode(actor: AccountDoc | null, raw: unknown): Promise<RoomView> {
      if (!actor) throw unauthorized('login_required');
      if (!active(actor)) throw forbidden('pending_approval');
      const input = parseInput(joinInput, raw);
      const invite = await invites.findOne({ hash: inviteHash(input.code) });
      const room = invite ? await rooms.get(invite.roomId) : null;
      if (!invite || !room) throw unprocessable('invite_invalid');
      const membership = await joining(async (tx) => {
        // Deleted with the join: a spent code links nobody to whoever made it.
        if (!(await tx.collection(roomInvitesCollection).delete(invite.id))) throw unprocessable('invite_invalid');
        await tx.collection(joinRequestsCollection).deleteWhere({ roomId: room.id, accountId: actor.id });
        return addMember(tx, room, actor.id, 'member', { alias: input.alias, displayMode: input.displayMode });
      });
      return roomView(actor, room, membership);
    },

    // ---- members (facilitators only) -------------------------------------

    async members(actor: AccountDoc | null, roomId: unknown): Promise<MemberView[]> {
      const { room } = await facilitatorContext(actor, roomId);
      const list: MembershipDoc[] = [];
      let after: string | null = null;
      do {
        const page = await members.find({ where: { roomId: room.id }, orderBy: { field: 'joinedAt' }, limit: 500, after });
        list.push(...page.items);
        after = page.next;
      } while (after);
      const names = await accounts.publicNames(list.map((m) => m.accountId));
      return list.map((m) => memberView(m, names.get(m.accountId)?.handle ?? null));
    },

    async mute(actor: AccountDoc | null, roomId: unknown, memberId: unknown, raw: unknown): Promise<MemberView> {
      const { room } = await facilitatorContext(actor, roomId);
      const target = await memberIn(room, memberId);
      if (target.role === 'facilitator') throw conflict('facilitator_protected');
      const { minutes } = parseInput(muteInput, raw);
      const updated = (await members.patch(target.id, { mutedUntil: minutes === 0 ? null : Date.now() + minutes * 60_000 }))!;
      const names = await accounts.publicNames([updated.accountId]);
      return memberView(updated, names.get(updated.accountId)?.handle ?? null);
    },

    async makeFacilitator(actor: AccountDoc | null, roomId: unknown, memberId: unknown): Promise<MemberView> {
      const { room } = await facilitatorContext(actor, roomId);
      const target = await memberIn(room, memberId);
      const updated = (await members.patch(target.id, { role: 'facilitator', mutedUntil: null }))!;
      const names = await accounts.publicNames([updated.accountId]);
      return memberView(updated, names.get(updated.accountId)?.handle ?? null);
    },

    /** Removes a member: the membership is deleted and their open pages stop receiving at once. */
    async removeMember(actor: AccountDoc | null, roomId: unknown, memberId: unknown): Promise<void> {
      const { room } = await facilitatorContext(actor, roomId);
      const target = await memberIn(room, memberId);
      if (target.role === 'facilitator') throw conflict('facilitator_protected');
      await members.delete(target.id);
      live.remove(room.id, target.accountId);
    },

    async leave(actor: AccountDoc | null, roomId: unknown): Promise<void> {
      const { room, membership } = await memberContext(actor, roomId);
      if (membership.role === 'facilitator' && (await members.count({ roomId: room.id, role: 'facilitator' })) <= 1) {
        throw conflict('last_facilitator');
      }
      await members.delete(membership.id);
      live.remove(room.id, actor!.id);
    },

    /** The member's own settings in the room: how others see them, and whether they see the room's real name. */
    async updateMembership(actor: AccountDoc | null, roomId: unknown, raw: unknown): Promise<MembershipView> {
      const { membership } = await memberContext(actor, roomId);
      const input = parseInput(membershipInput, raw);
      const patch: Partial<MembershipDoc> = {};
      if (input.displayMode !== undefined) patch.displayMode = input.displayMode;
      if (input.showName !== undefined) patch.showName = input.showName;
      if (input.alias !== undefined) Object.assign(patch, { alias: input.alias, aliasKey: aliasKey(input.alias) });
      try {
        return membershipView((await members.patch(membership.id, patch))!);
      } catch (error) {
        if (error instanceof DuplicateKeyError) throw conflict('alias_taken');
        throw error;
      }
    },
  };
}

function memberView(m: MembershipDoc, handle: string | null): MemberView {
  return { id: m.id, handle, alias: m.alias, displayMode: m.displayMode, role: m.role, mutedUntil: m.mutedUntil, joinedAt: m.joinedAt };
}

export type RoomsService = ReturnType<typeof createRoomsService>;
