import { DuplicateKeyError, type Store } from '../store/port.js';
import { allItems, eachPage } from '../store/paging.js';
import { newId } from '../crypto.js';
import { requireMemberKey, type MemberKey } from '../core/member-key.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import type { Clock } from '../core/clock.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import {
  conversationMessagesCollection,
  conversationsCollection,
  participantsCollection,
  type ConversationDoc,
  type ConversationMessageDoc,
  type RetentionDays,
} from './conversations.collections.js';
import { blockInput, historyInput, isId, messageInput, PAGE_SIZE, retentionInput, socketCatchUpInput, socketReadInput, socketSendInput } from './conversations.schemas.js';
import { ConversationAccess, conversationError, expiryOf, type Seat } from './access.js';
import type { ConversationVaults, VaultEntry } from './vault.js';
import type { ConversationsLive } from './conversations.live.js';
import type { ConversationPhotos } from './photos.js';
import { NO_PHOTOS, type PhotoView, type PreparedPhotos } from '../media/media.service.js';

export interface ConversationsDeps {
  readonly store: Store;
  readonly accounts: Pick<AccountsService, 'byHandle'>;
  readonly vaults: ConversationVaults;
  readonly access: ConversationAccess;
  readonly live: ConversationsLive;
  readonly photos: ConversationPhotos;
  /** Messages per member (API and socket together). */
  readonly messageLimit: Limiter;
  readonly clock: Clock;
}

export type PersonState = 'here' | 'waiting' | 'left';

export interface PersonView {
  readonly place: number;
  readonly handle: string;
  readonly state: PersonState;
  readonly me: boolean;
}

export interface ConversationSummary {
  readonly id: string;
  readonly people: readonly PersonView[];
  readonly retentionDays: RetentionDays;
  readonly unread: number;
}

/** A message as every participant's page gets it (live events carry this shape). */
export interface MessageView {
  readonly id: string;
  readonly conversationId: string;
  readonly cursor: string;
  readonly place: number;
  readonly body: string;
  readonly createdAt: number;
  readonly photos: readonly PhotoView[];
}

export interface History {
  readonly messages: readonly MessageView[];
  readonly older: string | null;
  readonly newer: string | null;
}

/** Unread messages counted per conversation, at most. */
const UNREAD_CAP = 99;

const messageView = (m: ConversationMessageDoc, photos: readonly PhotoView[] = []): MessageView => ({
  id: m.id,
  conversationId: m.conversationId,
  cursor: String(m.seq),
  place: m.place,
  body: m.body,
  createdAt: m.createdAt,
  photos,
});

/**
 * Private conversations once started: reading, sending, deleting one's messages, leaving, blocking from inside,
 * and the retention anyone in it may shorten. Who is in a conversation comes from each member's own vault; the
 * database knows only blinded seats and places.
 */
export class ConversationsService {
  private readonly messages;
  private readonly conversations;
  private readonly participants;

  constructor(private readonly deps: ConversationsDeps) {
    this.messages = deps.store.collection(conversationMessagesCollection);
    this.conversations = deps.store.collection(conversationsCollection);
    this.participants = deps.store.collection(participantsCollection);
  }

  /** The member's conversations, newest activity first, with unread counts; entries whose seat is gone are dropped from the vault. */
  async list(actor: AccountDoc, key: MemberKey | null): Promise<ConversationSummary[]> {
    const unlocked = requireMemberKey(key);
    const vault = await this.deps.vaults.read(unlocked);
    const out: (ConversationSummary & { seq: number })[] = [];
    const gone: string[] = [];
    for (const entry of vault.conversations) {
      const seat = await this.participants.get(ConversationAccess.participantId(unlocked, entry.id));
      const conversation = seat ? await this.conversations.get(entry.id) : null;
      if (!seat || !conversation) {
        gone.push(entry.id);
        continue;
      }
      out.push({ id: entry.id, people: await this.people(conversation, entry), retentionDays: conversation.retentionDays, unread: await this.unreadIn(conversation.id, seat.id, seat.lastReadSeq), seq: conversation.seq });
    }
    if (gone.length > 0) await this.deps.vaults.update(unlocked, (v) => ({ ...v, conversations: v.conversations.filter((c) => !gone.includes(c.id)) }));
    return out.sort((a, b) => b.seq - a.seq).map(({ seq: _seq, ...summary }) => summary);
  }

  /** How many conversations have messages the member has not seen (for the header). */
  async unreadConversations(key: MemberKey | null): Promise<{ id: string; unread: number; at: number }[]> {
    if (!key) return [];
    const vault = await this.deps.vaults.read(key);
    const out: { id: string; unread: number; at: number }[] = [];
    for (const entry of vault.conversations) {
      const seat = await this.participants.get(ConversationAccess.participantId(key, entry.id));
      if (!seat) continue;
      const unread = await this.unreadSince(entry.id, seat.id, seat.lastReadSeq);
      if (unread.length > 0) out.push({ id: entry.id, unread: unread.length, at: unread[unread.length - 1]!.createdAt });
    }
    return out;
  }

  /** One conversation: its people and settings, for its page and API. */
  async get(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown): Promise<ConversationSummary> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    const entry = await this.entry(seat);
    return { id: seat.conversation.id, people: await this.people(seat.conversation, entry), retentionDays: seat.conversation.retentionDays, unread: 0 };
  }

  /** A page of messages: the newest without a cursor, older ones with `before`, catch-up with `after`. */
  async history(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown, raw: unknown = {}): Promise<History> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    const input = parseInput(historyInput, raw);
    if (input.before !== undefined && input.after !== undefined) throw conversationError(422, 'history_direction');
    const limit = input.limit ?? PAGE_SIZE;
    const id = seat.conversation.id;
    if (input.after !== undefined) {
      const found = await this.messages.find({ where: { conversationId: id }, orderBy: { field: 'seq' }, range: { gt: Number(input.after) }, limit: limit + 1 });
      const items = found.items.slice(0, limit);
      if (items.length > 0) await this.markSeen(seat, items[items.length - 1]!.seq);
      return { messages: await this.views(items), older: null, newer: found.items.length > limit ? String(items[items.length - 1]!.seq) : null };
    }
    const found = await this.messages.find({
      where: { conversationId: id },
      orderBy: { field: 'seq', direction: 'desc' },
      ...(input.before !== undefined ? { range: { lt: Number(input.before) } } : {}),
      limit: limit + 1,
    });
    const items = found.items.slice(0, limit).reverse();
    if (input.before === undefined) await this.markSeen(seat, seat.conversation.seq);
    return {
      messages: await this.views(items),
      older: found.items.length > limit ? String(items[0]!.seq) : null,
      newer: input.before !== undefined && items.length > 0 ? String(items[items.length - 1]!.seq) : null,
    };
  }

  async catchUp(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<{ messages: readonly MessageView[]; newer: string | null }> {
    const input = parseInput(socketCatchUpInput, raw);
    const page = await this.history(actor, key, input.conversationId, { after: input.after, limit: 100 });
    return { messages: page.messages, newer: page.newer };
  }

  async markRead(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<void> {
    const input = parseInput(socketReadInput, raw);
    const seat = await this.deps.access.seat(actor, key, input.conversationId);
    await this.markSeen(seat, Math.min(Number(input.cursor), seat.conversation.seq));
  }

  async sendLive(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<{ clientId: string; message: MessageView }> {
    const input = parseInput(socketSendInput, raw);
    // Photos go by the form (multipart), never over the socket: the page posts a message with photos as a form.
    const message = await this.send(actor, key, input.conversationId, { body: input.body, clientId: input.clientId });
    return { clientId: input.clientId, message };
  }

  /**
   * Stores a message, then sends it live: nothing is shown as sent that is not stored. A retry with the same clientId
   * answers the first (it counts against the flood limit like any send). Its photos, checked and re-encoded before,
   * are stored once the message is, and sent live with it; a message whose photos cannot be stored is taken back.
   */
  async send(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown, raw: unknown = {}, prepared: PreparedPhotos = NO_PHOTOS): Promise<MessageView> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    const input = parseInput(messageInput, raw);
    const { conversation, participant } = seat;
    const retry = () => (input.clientId ? this.messages.findOne({ conversationId: conversation.id, authorId: participant.id, clientId: input.clientId }) : Promise.resolve(null));
    await this.deps.messageLimit.consume(seat.actor.id);
    const now = this.deps.clock.now();
    let stored: ConversationMessageDoc;
    try {
      stored = await this.deps.store.transaction(async (tx) => {
        const counted = await tx.collection(conversationsCollection).increment(conversation.id, { seq: 1 });
        if (!counted) throw conversationError(404, 'not_found');
        const doc: ConversationMessageDoc = {
          id: newId(),
          conversationId: conversation.id,
          seq: counted.seq,
          authorId: participant.id,
          place: participant.place,
          body: input.body,
          ...(input.clientId ? { clientId: input.clientId } : {}),
          createdAt: now,
          expiresAt: expiryOf(now, counted.retentionDays),
        };
        // A retry with the same clientId clashes on the unique index: the first one is answered below.
        await tx.collection(conversationMessagesCollection).insert(doc);
        return doc;
      });
    } catch (error) {
      const first = error instanceof DuplicateKeyError ? await retry() : null;
      if (first) return (await this.views([first]))[0]!;
      throw error;
    }
    let photos: readonly PhotoView[];
    try {
      photos = await this.deps.photos.attach(stored.id, prepared);
    } catch (error) {
      await this.messages.delete(stored.id);
      await this.deps.photos.remove([stored.id]);
      throw error;
    }
    const view = messageView(stored, photos);
    this.deps.live.share(conversation.id, stored.id, { ...view });
    return view;
  }

  /** What another process's sockets get for a message stored here; null when it is gone meanwhile. */
  async sharedPayload(conversationId: string, messageId: string): Promise<Record<string, unknown> | null> {
    const message = await this.messages.get(messageId);
    return message && message.conversationId === conversationId ? { ...(await this.views([message]))[0]! } : null;
  }

  /** Throws as every other call does for someone without a seat in the conversation. */
  async seat(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown): Promise<void> {
    await this.deps.access.seat(actor, key, conversationId);
  }

  /** A message for a participant of its conversation (404 for everyone else): who may see its photos, asked on every request. */
  async message(actor: AccountDoc | null, key: MemberKey | null, messageId: string): Promise<MessageView> {
    const message = isId(messageId) ? await this.messages.get(messageId) : null;
    if (!message) throw conversationError(404, 'message_not_found');
    await this.deps.access.seat(actor, key, message.conversationId);
    return messageView(message);
  }

  async messageExists(messageId: string): Promise<boolean> {
    return (await this.messages.get(messageId)) !== null;
  }

  /** Deleting one's own message deletes it for everyone, from the database. */
  async deleteMessage(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown, messageId: unknown): Promise<void> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    const message = isId(messageId) ? await this.messages.get(messageId) : null;
    if (!message || message.conversationId !== seat.conversation.id) throw conversationError(404, 'message_not_found');
    if (message.authorId !== seat.participant.id) throw conversationError(403, 'not_author');
    await this.messages.delete(message.id);
    await this.deps.photos.remove([message.id]);
    this.deps.live.publish(seat.conversation.id, 'message-deleted', { id: message.id });
  }

  /** Leaves: the others see the member left; the conversation and its messages go once nobody is left. */
  async leave(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown): Promise<void> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    await this.leaveSeat(seat.key, seat.conversation.id, seat.participant.id, seat.participant.place);
  }

  /**
   * Blocks someone in the conversation: the member leaves it (to the blocked member it looks exactly as if they
   * left) and later requests from them are dropped unseen.
   */
  async block(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown, raw: unknown): Promise<void> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    const { place } = parseInput(blockInput, raw);
    const entry = await this.entry(seat);
    const target = entry.people.find((p) => p.place === place && p.place !== entry.place);
    if (!target) throw conversationError(404, 'member_not_found');
    await this.deps.vaults.update(seat.key, (v) => ({ ...v, blocked: [...new Set([...v.blocked, target.accountId])] }));
    await this.leaveSeat(seat.key, seat.conversation.id, seat.participant.id, seat.participant.place);
  }

  async blockedHandles(actor: AccountDoc, key: MemberKey | null, names: (ids: readonly string[]) => Promise<Map<string, { handle: string }>>): Promise<string[]> {
    const vault = await this.deps.vaults.read(requireMemberKey(key));
    const found = await names(vault.blocked);
    return vault.blocked.map((id) => found.get(id)?.handle).filter((h): h is string => !!h);
  }

  async unblock(actor: AccountDoc, key: MemberKey | null, handle: unknown): Promise<void> {
    const unlocked = requireMemberKey(key);
    const account = typeof handle === 'string' ? await this.deps.accounts.byHandle(handle) : null;
    const vault = await this.deps.vaults.read(unlocked);
    if (!account || !vault.blocked.includes(account.id)) throw conversationError(404, 'member_not_found');
    await this.deps.vaults.update(unlocked, (v) => ({ ...v, blocked: v.blocked.filter((id) => id !== account.id) }));
  }

  /** Anyone in the conversation may shorten its retention, never lengthen it; messages already sent expire sooner too. */
  async setRetention(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown, raw: unknown): Promise<{ retentionDays: RetentionDays }> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    const days = parseInput(retentionInput, raw).retentionDays as RetentionDays;
    const id = seat.conversation.id;
    if (days > seat.conversation.retentionDays) throw conversationError(409, 'retention_longer');
    if (days === seat.conversation.retentionDays) return { retentionDays: days };
    await this.conversations.patch(id, { retentionDays: days });
    await eachPage(
      (after) => this.messages.find({ where: { conversationId: id }, orderBy: { field: 'seq' }, limit: 500, after }),
      async (m) => {
        const expiresAt = expiryOf(m.createdAt, days);
        if (expiresAt < m.expiresAt) await this.messages.patch(m.id, { expiresAt });
      },
    );
    this.deps.live.publish(id, 'retention', { retentionDays: days });
    return { retentionDays: days };
  }

  /** The member's vault entry for a seat they hold; a seat the vault lost (a crash between two writes) is shown with itself only. */
  async entry(seat: Seat): Promise<VaultEntry> {
    const vault = await this.deps.vaults.read(seat.key);
    return vault.conversations.find((c) => c.id === seat.conversation.id) ?? { id: seat.conversation.id, place: seat.participant.place, people: [{ place: seat.participant.place, accountId: seat.actor.id, handle: seat.actor.handle }] };
  }

  async leaveSeat(key: MemberKey, conversationId: string, participantId: string, place: number): Promise<void> {
    // The last one out takes the messages with them, and so their photos (two leaving at once: the sweep finds those).
    const last = (await this.deps.access.participantsOf(conversationId)).length <= 1;
    const messageIds = last ? await this.messageIds({ conversationId }) : [];
    const deleted = await this.deps.access.remove(conversationId, participantId);
    if (deleted) await this.deps.photos.remove(messageIds);
    await this.deps.vaults.update(key, (v) => ({ ...v, conversations: v.conversations.filter((c) => c.id !== conversationId) }));
    this.deps.live.remove(conversationId, participantId);
    if (!deleted) this.deps.live.publish(conversationId, 'left', { place });
  }

  /** The ids of the messages matching `where` (a conversation's, or an author's). */
  async messageIds(where: { conversationId: string } | { authorId: string }): Promise<string[]> {
    const orderBy = { field: 'conversationId' in where ? 'seq' : 'createdAt' } as const;
    const messages = await allItems((after) => this.messages.find({ where, orderBy, limit: 500, after }));
    return messages.map((m) => m.id);
  }

  private async views(messages: readonly ConversationMessageDoc[]): Promise<MessageView[]> {
    const photos = await this.deps.photos.of(messages.map((m) => m.id));
    return messages.map((m) => messageView(m, photos.get(m.id)));
  }

  private async people(conversation: ConversationDoc, entry: VaultEntry): Promise<PersonView[]> {
    const here = new Set((await this.deps.access.participantsOf(conversation.id)).map((p) => p.place));
    const now = this.deps.clock.now();
    const waiting = new Set(conversation.waiting.filter((w) => w.until > now).map((w) => w.place));
    return entry.people.map((p) => ({
      place: p.place,
      handle: p.handle,
      me: p.place === entry.place,
      state: here.has(p.place) ? 'here' : waiting.has(p.place) ? 'waiting' : 'left',
    }));
  }

  private async unreadIn(conversationId: string, participantId: string, lastReadSeq: number): Promise<number> {
    return (await this.unreadSince(conversationId, participantId, lastReadSeq)).length;
  }

  private async unreadSince(conversationId: string, participantId: string, lastReadSeq: number): Promise<ConversationMessageDoc[]> {
    const found = await this.messages.find({ where: { conversationId }, orderBy: { field: 'seq' }, range: { gt: lastReadSeq }, limit: UNREAD_CAP + 1 });
    return found.items.filter((m) => m.authorId !== participantId).slice(0, UNREAD_CAP);
  }

  private async markSeen(seat: Seat, seq: number): Promise<void> {
    if (seq > seat.participant.lastReadSeq) await this.participants.patch(seat.participant.id, { lastReadSeq: seq });
  }
}
