import { DuplicateKeyError, type Store } from '../store/port.js';
import { newId } from '../crypto.js';
import { forbidden, notFound, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MemberKey } from '../core/member-key.js';
import { reportInput } from '../moderation/moderation.service.js';
import type { ReactionKind } from '../forums/reactions.js';
import {
  messagesCollection,
  roomReactionsCollection,
  roomReportsCollection,
  roomsCollection,
  type MembershipDoc,
  type MessageDoc,
} from './rooms.collections.js';
import { editInput, historyInput, isId, messageInput, PAGE_SIZE, reactionInput, socketCatchUpInput, socketReadInput, socketSendInput } from './rooms.schemas.js';
import { messageView, reactionCounts, type History, type MemberMessageView, type MessageView } from './view-models.js';
import type { RoomPolicy } from './policy.js';
import type { RoomMembers } from './members.js';
import type { RoomPinsService } from './pins.service.js';
import { messageExpiry, type RoomRetention } from './retention.js';
import type { RoomsLive } from './rooms.live.js';

export interface RoomMessagesDeps {
  readonly store: Store;
  readonly policy: RoomPolicy;
  readonly members: RoomMembers;
  readonly pins: RoomPinsService;
  readonly retention: RoomRetention;
  /** Messages per member (API and socket together). */
  readonly messageLimit: Limiter;
  readonly live: RoomsLive;
}

/** Sending, editing, deleting, reacting to and reporting room messages, and each member's read position. */
export class RoomMessagesService {
  private readonly messages;
  private readonly reactions;
  private readonly reports;

  constructor(private readonly deps: RoomMessagesDeps) {
    this.messages = deps.store.collection(messagesCollection);
    this.reactions = deps.store.collection(roomReactionsCollection);
    this.reports = deps.store.collection(roomReportsCollection);
  }

  /** A page of history: the newest page without a cursor, older ones with `before`, catch-up with `after`. */
  async history(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, raw: unknown = {}): Promise<History> {
    const { room, membership } = await this.deps.policy.member(actor, key, roomId);
    const input = parseInput(historyInput, raw);
    if (input.before !== undefined && input.after !== undefined) throw unprocessable('history_direction');
    const limit = input.limit ?? PAGE_SIZE;
    if (input.after !== undefined) {
      const found = await this.messages.find({ where: { roomId: room.id }, orderBy: { field: 'seq' }, range: { gt: Number(input.after) }, limit: limit + 1 });
      const items = found.items.slice(0, limit);
      const more = found.items.length > limit;
      if (items.length > 0) await this.deps.members.markRead(membership, items[items.length - 1]!.seq);
      return { messages: await this.memberViews(membership, items), older: null, newer: more ? String(items[items.length - 1]!.seq) : null };
    }
    const found = await this.messages.find({
      where: { roomId: room.id },
      orderBy: { field: 'seq', direction: 'desc' },
      ...(input.before !== undefined ? { range: { lt: Number(input.before) } } : {}),
      limit: limit + 1,
    });
    const items = found.items.slice(0, limit).reverse();
    if (input.before === undefined) await this.deps.members.markRead(membership, room.seq);
    return {
      messages: await this.memberViews(membership, items),
      older: found.items.length > limit ? String(items[0]!.seq) : null,
      newer: input.before !== undefined && items.length > 0 ? String(items[items.length - 1]!.seq) : null,
    };
  }

  /** The socket's catch-up after a reconnection, {roomId, after}: the shared shape, as the live events carry it. */
  async catchUp(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<{ messages: MessageView[]; newer: string | null }> {
    const input = parseInput(socketCatchUpInput, raw);
    const page = await this.history(actor, key, input.roomId, { after: input.after, limit: 100 });
    const messages = page.messages.map(({ mine: _mine, myReactions: _my, canDelete: _del, body: _body, ...shared }) => shared);
    return { messages, newer: page.newer };
  }

  /** The member has seen the room up to the cursor, {roomId, cursor} (their own bookkeeping; nobody else ever sees it). */
  async markRead(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<void> {
    const input = parseInput(socketReadInput, raw);
    const { room, membership } = await this.deps.policy.member(actor, key, input.roomId);
    await this.deps.members.markRead(membership, Math.min(Number(input.cursor), room.seq));
  }

  /** A message sent over the socket, {roomId, body, replyTo?, clientId}: the client's id is required there, to match the acknowledgement. */
  async sendLive(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<{ clientId: string; message: MessageView }> {
    const input = parseInput(socketSendInput, raw);
    const { shared } = await this.send(actor, key, input.roomId, { body: input.body, replyTo: input.replyTo ?? null, clientId: input.clientId });
    return { clientId: input.clientId, message: shared };
  }

  /**
   * Stores a message, then broadcasts it: nothing is shown as sent that is not stored.
   * A retry with the same clientId answers the message stored the first time.
   */
  async send(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, raw: unknown = {}): Promise<{ message: MemberMessageView; shared: MessageView }> {
    const { room, membership, actor: author } = await this.deps.policy.member(actor, key, roomId);
    const input = parseInput(messageInput, raw);
    if (input.clientId) {
      const stored = await this.messages.findOne({ roomId: room.id, authorId: membership.id, clientId: input.clientId });
      if (stored) return this.both(membership, stored);
    }
    this.deps.policy.assertMayPost(author, room, membership);
    await this.deps.messageLimit.consume(author.id);
    const html = await this.deps.policy.render(input.body);
    const replied = input.replyTo ? await this.messages.get(input.replyTo) : undefined;
    if (input.replyTo && (!replied || replied.roomId !== room.id)) throw unprocessable('reply_invalid');
    const now = Date.now();
    let stored: MessageDoc;
    try {
      stored = await this.deps.store.transaction(async (tx) => {
        // The sequence number is taken inside the transaction that stores the message, so it follows commit order.
        const counted = await tx.collection(roomsCollection).increment(room.id, { seq: 1 });
        if (!counted) throw notFound('room_not_found');
        const doc: MessageDoc = {
          id: newId(),
          roomId: room.id,
          seq: counted.seq,
          authorId: membership.id,
          authorLabel: membership.displayMode === 'pseudonym' ? author.handle : membership.alias,
          authorKind: membership.displayMode,
          body: input.body,
          html,
          replyTo: input.replyTo ?? null,
          ...(input.clientId ? { clientId: input.clientId } : {}),
          reactions: {},
          createdAt: now,
          editedAt: null,
          expiresAt: messageExpiry(now, counted.retentionDays),
        };
        await tx.collection(messagesCollection).insert(doc);
        return doc;
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError && input.clientId) {
        const first = await this.messages.findOne({ roomId: room.id, authorId: membership.id, clientId: input.clientId });
        if (first) return this.both(membership, first);
      }
      throw error;
    }
    const shared = messageView(stored, replied ?? undefined);
    this.deps.live.share(room.id, 'message', stored.id, { ...shared });
    return { message: { ...shared, mine: true, myReactions: [], canDelete: true, body: stored.body }, shared };
  }

  /**
   * A live event's payload, read for the room's open pages on a process other than the one that stored the
   * message (they are authorised members of the room: see rooms.socket.ts); null when it is gone meanwhile.
   */
  async sharedPayload(roomId: string, event: 'message' | 'message-edited', messageId: string): Promise<Record<string, unknown> | null> {
    const message = await this.messages.get(messageId);
    if (!message || message.roomId !== roomId) return null;
    if (event === 'message-edited') return editedPayload(message);
    const replied = message.replyTo ? await this.messages.get(message.replyTo) : null;
    return { ...messageView(message, replied ?? undefined) };
  }

  /** The room a message is in, or null when it is gone (for the photos of messages: server/photos.ts). */
  async roomOf(messageId: string): Promise<string | null> {
    return (await this.messages.get(messageId))?.roomId ?? null;
  }

  async get(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, messageId: unknown): Promise<MemberMessageView> {
    const { room, membership } = await this.deps.policy.member(actor, key, roomId);
    const message = await this.deps.policy.message(room, messageId);
    return (await this.memberViews(membership, [message]))[0]!;
  }

  async edit(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, messageId: unknown, raw: unknown = {}): Promise<MemberMessageView> {
    const { room, membership, actor: author } = await this.deps.policy.member(actor, key, roomId);
    const message = await this.deps.policy.message(room, messageId);
    if (message.authorId !== membership.id) throw forbidden('not_author');
    this.deps.policy.assertMayPost(author, room, membership);
    const { body } = parseInput(editInput, raw);
    const html = await this.deps.policy.render(body);
    const updated = (await this.messages.patch(message.id, { body, html, editedAt: Date.now() }))!;
    this.deps.live.share(room.id, 'message-edited', updated.id, editedPayload(updated));
    return (await this.memberViews(membership, [updated]))[0]!;
  }

  /** The author or a facilitator deletes a message: it is gone from the database. */
  async delete(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, messageId: unknown): Promise<void> {
    const { room, membership } = await this.deps.policy.member(actor, key, roomId);
    const message = await this.deps.policy.message(room, messageId);
    this.deps.policy.assertMayDelete(membership, message);
    const unpinned = await this.deps.retention.deleteMessage(message.id);
    this.deps.live.publish(room.id, 'message-deleted', { id: message.id });
    if (unpinned) await this.deps.pins.publish(room.id);
  }

  async react(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, messageId: unknown, raw: unknown = {}): Promise<{ reactions: Record<ReactionKind, number>; mine: boolean }> {
    const { room, membership, actor: viewer } = await this.deps.policy.member(actor, key, roomId);
    const message = await this.deps.policy.message(room, messageId);
    const { kind } = parseInput(reactionInput, raw);
    this.deps.policy.assertMayReact(viewer, membership);
    const id = `${message.id}.${membership.id}.${kind}`;
    const result = await this.deps.store.transaction(async (tx) => {
      const rcol = tx.collection(roomReactionsCollection);
      const mcol = tx.collection(messagesCollection);
      const fresh = await mcol.get(message.id);
      if (!fresh) throw notFound('message_not_found');
      const existing = await rcol.get(id);
      if (existing) await rcol.delete(id);
      else await rcol.insert({ id, roomId: room.id, messageId: message.id, memberId: membership.id, kind, createdAt: Date.now(), expiresAt: fresh.expiresAt });
      const counts = { ...fresh.reactions, [kind]: Math.max(0, (fresh.reactions[kind] ?? 0) + (existing ? -1 : 1)) };
      return { doc: (await mcol.patch(message.id, { reactions: counts }))!, mine: !existing };
    });
    const counts = reactionCounts(result.doc);
    this.deps.live.publish(room.id, 'reaction', { id: message.id, reactions: counts });
    return { reactions: counts, mine: result.mine };
  }

  /** A report to the room's facilitators: it stays with the room and never reaches the instance's moderators. */
  async report(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, messageId: unknown, raw: unknown = {}) {
    const { room, membership } = await this.deps.policy.member(actor, key, roomId);
    const message = await this.deps.policy.message(room, messageId);
    if (message.authorId === membership.id) throw unprocessable('report_own');
    const input = parseInput(reportInput, raw);
    const existing = await this.reports.findOne({ messageId: message.id, reporterId: membership.id });
    const report = existing
      ? (await this.reports.patch(existing.id, { reason: input.reason, note: input.note }))!
      : await this.reports.insert({
          id: newId(),
          roomId: room.id,
          messageId: message.id,
          reporterId: membership.id,
          reason: input.reason,
          note: input.note,
          createdAt: Date.now(),
          // A report never outlives what it is about.
          expiresAt: message.expiresAt,
        });
    return { id: report.id, reason: report.reason, createdAt: report.createdAt };
  }

  async reportList(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown) {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const list = (await this.reports.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
    const reported = await this.messages.getMany([...new Set(list.map((r) => r.messageId))]);
    const views = new Map((await this.sharedViews(reported)).map((v) => [v.id, v]));
    const authors = new Map(reported.map((m) => [m.id, m.authorId]));
    const authorIds = [...new Set([...authors.values()].filter((a): a is string => !!a))];
    const memberships = new Map((await this.deps.members.byIds(authorIds)).filter((m) => m.roomId === room.id).map((m) => [m.id, m]));
    return list.map((r) => {
      const authorId = authors.get(r.messageId);
      return {
        id: r.id,
        reason: r.reason,
        note: r.note,
        createdAt: r.createdAt,
        message: views.get(r.messageId) ?? null,
        /** The author's membership, so the facilitator can mute or remove them; null when they left. */
        memberId: authorId ? (memberships.get(authorId)?.ref ?? null) : null,
      };
    });
  }

  async dismissReport(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, reportId: unknown): Promise<void> {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const report = isId(reportId) ? await this.reports.get(reportId) : null;
    if (!report || report.roomId !== room.id) throw notFound('report_not_found');
    await this.reports.delete(report.id);
  }

  /** Messages by others since the member last looked, capped at `cap`. */
  async unread(membership: MembershipDoc, cap: number): Promise<number> {
    const found = await this.messages.find({ where: { roomId: membership.roomId }, orderBy: { field: 'seq' }, range: { gt: membership.lastReadSeq }, limit: cap + 1 });
    return Math.min(cap, found.items.filter((x) => x.authorId !== membership.id).length);
  }

  private async both(membership: MembershipDoc, doc: MessageDoc): Promise<{ message: MemberMessageView; shared: MessageView }> {
    const [shared] = await this.sharedViews([doc]);
    const [message] = await this.memberViews(membership, [doc]);
    return { message: message!, shared: shared! };
  }

  private async sharedViews(list: readonly MessageDoc[]): Promise<MessageView[]> {
    const known = new Map(list.map((m) => [m.id, m]));
    const missing = [...new Set(list.map((m) => m.replyTo).filter((id): id is string => !!id && !known.has(id)))];
    for (const m of await this.messages.getMany(missing)) known.set(m.id, m);
    return list.map((m) => messageView(m, known.get(m.replyTo ?? '')));
  }

  private async memberViews(membership: MembershipDoc, list: readonly MessageDoc[]): Promise<MemberMessageView[]> {
    const shared = await this.sharedViews(list);
    const mine = new Map<string, ReactionKind[]>();
    const oldest = list.reduce((min, m) => Math.min(min, m.createdAt), Infinity);
    if (list.length > 0) {
      const found = await this.reactions.find({
        where: { memberId: membership.id },
        orderBy: { field: 'createdAt' },
        range: { gte: oldest },
        limit: 1000,
      });
      for (const r of found.items) mine.set(r.messageId, [...(mine.get(r.messageId) ?? []), r.kind as ReactionKind]);
    }
    return shared.map((view, i) => {
      const doc = list[i]!;
      const own = doc.authorId === membership.id;
      return {
        ...view,
        mine: own,
        myReactions: mine.get(doc.id) ?? [],
        canDelete: own || membership.role === 'facilitator',
        ...(own ? { body: doc.body } : {}),
      };
    });
  }
}

/** What an open page needs of an edit. */
const editedPayload = (message: MessageDoc): Record<string, unknown> => ({ id: message.id, html: message.html, editedAt: message.editedAt, cursor: String(message.seq) });
