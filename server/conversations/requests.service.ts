import crypto from 'node:crypto';
import { z } from 'zod';
import { newId } from '../crypto.js';
import { AppError } from '../core/errors.js';
import { requireMemberKey, type MemberKey } from '../core/member-key.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import type { Clock } from '../core/clock.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { Store, TxScope } from '../store/port.js';
import { fromSeed, open, seal, type BoxKeys } from '../rooms/room-keys.js';
import {
  conversationKeysCollection,
  conversationMessagesCollection,
  conversationRequestsCollection,
  conversationsCollection,
  participantsCollection,
  REQUEST_LIFETIME_MS,
  type AcceptFrom,
  type ConversationDoc,
  type ConversationRequestDoc,
  type RetentionDays,
} from './conversations.collections.js';
import { settingsInput, startInput } from './conversations.schemas.js';
import { ConversationAccess, conversationError, expiryOf, utcDay, utcDayCeil } from './access.js';
import type { ConversationVaults, VaultPerson } from './vault.js';
import type { ConversationsLive } from './conversations.live.js';

/** Whether two members are buddies: the safety module knows. */
export interface Buddies {
  areBuddies(accountId: string, otherId: string): Promise<boolean>;
}

export interface RequestsDeps {
  readonly store: Store;
  readonly accounts: Pick<AccountsService, 'byHandle'>;
  readonly buddies: Buddies;
  readonly vaults: ConversationVaults;
  readonly access: ConversationAccess;
  readonly live: ConversationsLive;
  /** Conversations started per member. */
  readonly startLimit: Limiter;
  readonly clock: Clock;
}

/** What a sealed request holds: only its recipient reads it. */
const sealedRequest = z.object({
  conversationId: z.string(),
  place: z.number().int().min(1),
  people: z.array(z.object({ place: z.number().int(), accountId: z.string(), handle: z.string() })),
  body: z.string(),
  retentionDays: z.number().int(),
});
type SealedRequest = z.infer<typeof sealedRequest>;

export interface RequestView {
  readonly id: string;
  /** The sender's name: the one thing a request shows besides its first message. */
  readonly from: string;
  readonly body: string;
  readonly createdAt: number;
}

/** The key pair requests are sealed to: derived from the member key, never stored. */
export function requestBox(key: MemberKey): BoxKeys {
  return fromSeed(Buffer.from(crypto.hkdfSync('sha256', key.derive('conversation-box'), Buffer.alloc(0), 'requests', 32)));
}

/**
 * Starting conversations and answering requests. A request is the first message and the sender's name, sealed to
 * the recipient's public key; the recipient opens it with their key, and it is erased once answered. A member
 * chooses who may send them requests (buddies only by default); whom they blocked is in their vault, so the
 * server learns of a block only when the blocker's key opens the request, and drops it unseen: to the sender a
 * request to someone who blocked them looks unanswered, like any other.
 */
export class ConversationRequests {
  private readonly keys;
  private readonly requests;
  /** Accounts whose public key this process has seen stored for the key at hand. */
  private readonly keyKnown = new Map<string, string>();

  constructor(private readonly deps: RequestsDeps) {
    this.keys = deps.store.collection(conversationKeysCollection);
    this.requests = deps.store.collection(conversationRequestsCollection);
  }

  /** Stores the account's public key for requests, when it is missing or belongs to a replaced member key. */
  async ensureKey(accountId: string, key: MemberKey): Promise<void> {
    const publicKey = requestBox(key).publicKey;
    if (this.keyKnown.get(accountId) === publicKey) return;
    const stored = await this.keys.get(accountId);
    if (stored?.publicKey !== publicKey) await this.keys.upsert({ id: accountId, publicKey, accept: stored?.accept ?? 'buddies' });
    this.keyKnown.set(accountId, publicKey);
  }

  async settings(actor: AccountDoc): Promise<{ accept: AcceptFrom }> {
    return { accept: (await this.keys.get(actor.id))?.accept ?? 'buddies' };
  }

  async setSettings(actor: AccountDoc, key: MemberKey | null, raw: unknown): Promise<{ accept: AcceptFrom }> {
    const { accept } = parseInput(settingsInput, raw);
    await this.ensureKey(actor.id, requireMemberKey(key));
    await this.keys.patch(actor.id, { accept });
    return { accept };
  }

  /**
   * Starts a conversation: the starter's seat and first message, then one sealed request per recipient. Refused
   * before anything is stored when a recipient takes no requests from the starter (the same neutral answer
   * whatever the reason), is the starter, was blocked by the starter, or does not exist.
   */
  async start(actor: AccountDoc, key: MemberKey | null, raw: unknown): Promise<{ id: string }> {
    const unlocked = requireMemberKey(key);
    const input = parseInput(startInput, raw);
    const blocked = new Set((await this.deps.vaults.read(unlocked)).blocked);
    const recipients: { account: AccountDoc; publicKey: string }[] = [];
    for (const handle of new Set(input.to.map((h) => h.toLowerCase()))) {
      const account = await this.deps.accounts.byHandle(handle);
      if (!account || account.status !== 'active') throw conversationError(404, 'member_not_found');
      if (account.id === actor.id) throw conversationError(422, 'self');
      if (blocked.has(account.id)) throw conversationError(409, 'you_blocked');
      const stored = await this.keys.get(account.id);
      if (!stored || !(await this.accepts(stored.accept, actor.id, account.id))) throw conversationError(403, 'not_accepting');
      recipients.push({ account, publicKey: stored.publicKey });
    }
    await this.deps.startLimit.consume(actor.id);
    await this.ensureKey(actor.id, unlocked);
    const now = this.deps.clock.now();
    const id = newId();
    const people: VaultPerson[] = [{ place: 0, accountId: actor.id, handle: actor.handle }, ...recipients.map((r, i) => ({ place: i + 1, accountId: r.account.id, handle: r.account.handle }))];
    const retentionDays = input.retentionDays as RetentionDays;
    // To the day, like the request's own lapse: the same instant on both would pair the request with its conversation.
    const lapses = utcDayCeil(now + REQUEST_LIFETIME_MS);
    // The conversation and the starter's seat (blinded rows) commit apart from the requests (which name their recipients).
    await this.deps.store.transaction(async (tx) => {
      const conversation: ConversationDoc = {
        id,
        retentionDays,
        seq: 1,
        places: people.length,
        waiting: recipients.map((_, i) => ({ place: i + 1, until: lapses })),
        createdAt: utcDay(now),
      };
      await tx.collection(conversationsCollection).insert(conversation);
      const seat = ConversationAccess.participantId(unlocked, id);
      await tx.collection(participantsCollection).insert({ id: seat, conversationId: id, place: 0, lastReadSeq: 1, joinedAt: utcDay(now) });
      await tx.collection(conversationMessagesCollection).insert({ id: newId(), conversationId: id, seq: 1, authorId: seat, place: 0, body: input.body, createdAt: now, expiresAt: expiryOf(now, retentionDays) });
    });
    await this.deps.vaults.update(unlocked, (vault) => ({ ...vault, conversations: [...vault.conversations, { id, place: 0, people }] }));
    for (const [i, r] of recipients.entries()) {
      const content: SealedRequest = { conversationId: id, place: i + 1, people, body: input.body, retentionDays };
      await this.requests.insert({
        id: newId(),
        recipientId: r.account.id,
        sealed: seal(r.publicKey, Buffer.from(JSON.stringify(content))),
        createdAt: utcDay(now),
        expiresAt: lapses,
      });
    }
    return { id };
  }

  /**
   * The member's waiting requests. Opening them is when the member's own rules apply: a request from someone they
   * blocked, or one that no longer opens or whose conversation is gone, is erased unseen; one from a buddy is
   * accepted at once (buddies can always talk).
   */
  async waiting(actor: AccountDoc, key: MemberKey | null): Promise<RequestView[]> {
    const unlocked = requireMemberKey(key);
    await this.ensureKey(actor.id, unlocked);
    const found = (await this.requests.find({ where: { recipientId: actor.id }, orderBy: { field: 'createdAt' }, limit: 100 })).items;
    if (found.length === 0) return [];
    const blocked = new Set((await this.deps.vaults.read(unlocked)).blocked);
    const views: RequestView[] = [];
    for (const doc of found) {
      const content = this.open(unlocked, doc);
      const sender = content?.people.find((p) => p.place === 0);
      if (!content || !sender || blocked.has(sender.accountId)) {
        await this.requests.delete(doc.id);
      } else if (await this.deps.buddies.areBuddies(actor.id, sender.accountId)) {
        await this.join(unlocked, doc, content).catch((error: unknown) => {
          if (!(error instanceof AppError)) throw error;
        });
      } else {
        views.push({ id: doc.id, from: sender.handle, body: content.body, createdAt: doc.createdAt });
      }
    }
    return views;
  }

  /** Accepts a request: the member takes their seat and the conversation joins their vault. Answers the conversation's id. */
  async accept(actor: AccountDoc, key: MemberKey | null, requestId: unknown): Promise<{ id: string }> {
    const { unlocked, doc, content } = await this.mine(actor, key, requestId);
    await this.join(unlocked, doc, content);
    return { id: content.conversationId };
  }

  /** Declines: the request is erased and the others see the member did not join. */
  async decline(actor: AccountDoc, key: MemberKey | null, requestId: unknown): Promise<void> {
    const { doc, content } = await this.mine(actor, key, requestId);
    await this.requests.delete(doc.id);
    const conversations = this.deps.store.collection(conversationsCollection);
    const conversation = await conversations.get(content.conversationId);
    if (!conversation) return;
    await conversations.patch(conversation.id, { waiting: conversation.waiting.filter((w) => w.place !== content.place) });
    this.deps.live.publish(conversation.id, 'left', { place: content.place });
  }

  /**
   * Blocks the sender: the request is erased, and every later request from them is dropped unseen. Nothing tells
   * the sender: their request stays "waiting" to them until it lapses, as an unanswered one does.
   */
  async block(actor: AccountDoc, key: MemberKey | null, requestId: unknown): Promise<void> {
    const { unlocked, doc, content } = await this.mine(actor, key, requestId);
    const sender = content.people.find((p) => p.place === 0)!;
    await this.deps.vaults.update(unlocked, (vault) => ({ ...vault, blocked: [...new Set([...vault.blocked, sender.accountId])] }));
    await this.requests.delete(doc.id);
  }

  /** A deleted account's waiting requests and key go (what it sent is in others' hands: sealed to them). */
  async forgetAccountIn(tx: TxScope, accountId: string): Promise<void> {
    await tx.collection(conversationRequestsCollection).deleteWhere({ recipientId: accountId });
    await tx.collection(conversationKeysCollection).delete(accountId);
    this.keyKnown.delete(accountId);
  }

  private async accepts(accept: AcceptFrom, senderId: string, recipientId: string): Promise<boolean> {
    if (accept === 'everyone') return true;
    if (accept === 'nobody') return false;
    return this.deps.buddies.areBuddies(recipientId, senderId);
  }

  private open(key: MemberKey, doc: ConversationRequestDoc): SealedRequest | null {
    const plain = open(requestBox(key), doc.sealed);
    if (!plain) return null;
    try {
      return sealedRequest.parse(JSON.parse(plain.toString('utf8')));
    } catch {
      return null;
    }
  }

  private async mine(actor: AccountDoc, key: MemberKey | null, requestId: unknown) {
    const unlocked = requireMemberKey(key);
    const doc = typeof requestId === 'string' ? await this.requests.get(requestId) : null;
    const content = doc && doc.recipientId === actor.id ? this.open(unlocked, doc) : null;
    if (!doc || !content) throw conversationError(404, 'request_not_found');
    return { unlocked, doc, content };
  }

  /** Takes the seat the request offers; a conversation gone meanwhile erases the request and answers 404. */
  private async join(key: MemberKey, doc: ConversationRequestDoc, content: SealedRequest): Promise<void> {
    const { conversationId, place } = content;
    const seat = ConversationAccess.participantId(key, conversationId);
    const now = this.deps.clock.now();
    const joined = await this.deps.store.transaction(async (tx) => {
      const conversation = await tx.collection(conversationsCollection).get(conversationId);
      if (!conversation) return false;
      const participants = tx.collection(participantsCollection);
      if (!(await participants.get(seat))) await participants.insert({ id: seat, conversationId, place, lastReadSeq: 0, joinedAt: utcDay(now) });
      await tx.collection(conversationsCollection).patch(conversationId, { waiting: conversation.waiting.filter((w) => w.place !== place) });
      return true;
    });
    // The request names its recipient: it is erased in its own write, never in the transaction of a blinded row.
    await this.requests.delete(doc.id);
    if (!joined) throw conversationError(404, 'not_found');
    await this.deps.vaults.update(key, (vault) =>
      vault.conversations.some((c) => c.id === conversationId) ? vault : { ...vault, conversations: [...vault.conversations, { id: conversationId, place, people: content.people }] },
    );
    this.deps.live.publish(conversationId, 'joined', { place });
  }
}
