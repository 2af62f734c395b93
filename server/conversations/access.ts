import { AppError } from '../core/errors.js';
import { blindScope, requireMemberKey, type MemberKey } from '../core/member-key.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { Store, TxScope } from '../store/port.js';
import {
  conversationMessagesCollection,
  conversationsCollection,
  participantsCollection,
  type ConversationDoc,
  type ParticipantDoc,
} from './conversations.collections.js';
import { isId } from './conversations.schemas.js';

const DAY = 86_400_000;
/** Rows that could be lined up with an account's are kept to the UTC day. */
export const utcDay = (ms: number): number => Math.floor(ms / DAY) * DAY;
/** The first UTC midnight at or after `ms`: a lapse rounded so never comes early, and tells no more than the day. */
export const utcDayCeil = (ms: number): number => Math.ceil(ms / DAY) * DAY;
export const expiryOf = (createdAt: number, days: number): number => createdAt + days * DAY;

/** A conversation-scoped error, its message in the `conversations` section of the catalogues. */
export const conversationError = (status: 401 | 403 | 404 | 409 | 422, code: string): AppError =>
  new AppError(status, code, `conversations.error_${code}`);

export interface Seat {
  readonly actor: AccountDoc;
  readonly key: MemberKey;
  readonly conversation: ConversationDoc;
  readonly participant: ParticipantDoc;
}

/**
 * Who is in which conversation, proved with the member's key: their participant id is their blinded id in the
 * conversation, so nothing stored answers "which conversations is this account in" without the key.
 */
export class ConversationAccess {
  private readonly conversations;
  private readonly participants;

  constructor(private readonly store: Store) {
    this.conversations = store.collection(conversationsCollection);
    this.participants = store.collection(participantsCollection);
  }

  static participantId(key: MemberKey, conversationId: string): string {
    return key.blind(blindScope.conversation(conversationId));
  }

  /** The actor's seat in the conversation; 404 alike for a conversation that does not exist and one they are not in (or left). */
  async seat(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown): Promise<Seat> {
    if (!actor) throw new AppError(401, 'login_required');
    if (actor.status !== 'active') throw new AppError(403, 'pending_approval');
    const unlocked = requireMemberKey(key);
    if (!isId(conversationId)) throw conversationError(404, 'not_found');
    const participant = await this.participants.get(ConversationAccess.participantId(unlocked, conversationId));
    const conversation = participant ? await this.conversations.get(conversationId) : null;
    if (!participant || !conversation || participant.conversationId !== conversationId) throw conversationError(404, 'not_found');
    return { actor, key: unlocked, conversation, participant };
  }

  /** For the socket's channel: whether the key holds a seat in the conversation. */
  async isParticipant(key: MemberKey | null, conversationId: string): Promise<boolean> {
    if (!key || !isId(conversationId)) return false;
    const participant = await this.participants.get(ConversationAccess.participantId(key, conversationId));
    return participant?.conversationId === conversationId;
  }

  async participantsOf(conversationId: string): Promise<ParticipantDoc[]> {
    return (await this.participants.find({ where: { conversationId }, orderBy: { field: 'place' }, limit: 20 })).items;
  }

  /**
   * Takes the participant out; the conversation and its messages go once nobody is left in it (a request still
   * waiting then finds it gone). Answers whether the conversation was deleted.
   */
  async remove(conversationId: string, participantId: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      await tx.collection(participantsCollection).delete(participantId);
      const left = await tx.collection(participantsCollection).count({ conversationId });
      if (left > 0) return false;
      await deleteConversationIn(tx, conversationId);
      return true;
    });
  }
}

export async function deleteConversationIn(tx: TxScope, conversationId: string): Promise<void> {
  await tx.collection(conversationMessagesCollection).deleteWhere({ conversationId });
  await tx.collection(participantsCollection).deleteWhere({ conversationId });
  await tx.collection(conversationsCollection).delete(conversationId);
}
