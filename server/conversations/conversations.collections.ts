import { defineCollection } from '../store/port.js';
import type { ReportReason } from '../moderation/report-reasons.js';

/** How long a conversation keeps its messages, chosen by the one who starts it; anyone in it may shorten it. */
export const retentionChoices = [1, 7, 30] as const;
export type RetentionDays = (typeof retentionChoices)[number];

/** Who may send a member a request to talk. Buddies only unless the member chooses otherwise. */
export const acceptChoices = ['buddies', 'everyone', 'nobody'] as const;
export type AcceptFrom = (typeof acceptChoices)[number];

/**
 * A conversation holds no account id and no name: who is in it is known only from each participant's vault
 * (encrypted under their member key) and from the participants' blinded ids below.
 */
export interface ConversationDoc {
  id: string;
  retentionDays: RetentionDays;
  /** The sequence number of the last message. */
  seq: number;
  /** Places in the conversation: 0 for the one who started it, 1.. for each member asked, in order. */
  places: number;
  /** Places whose request is not answered yet, with when it lapses; shown as "waiting" to the others. */
  waiting: { place: number; until: number }[];
  /** The UTC day it was started. */
  createdAt: number;
}

/**
 * One member in one conversation. The id is their blinded id in it (MemberKey.blind(blindScope.conversation(id))),
 * which only a request or socket carrying their key computes.
 */
export interface ParticipantDoc {
  id: string;
  conversationId: string;
  /** Their place (ConversationDoc.places): how the others' vaults name them. */
  place: number;
  /** The last message they have seen, for unread counts; nobody else ever sees it. */
  lastReadSeq: number;
  /** The UTC day they joined. */
  joinedAt: number;
}

export interface ConversationMessageDoc {
  id: string;
  conversationId: string;
  seq: number;
  /** The author's participant id (blinded). */
  authorId: string;
  /** The author's place, so that each reader's vault names them. */
  place: number;
  body: string;
  /** Set by clients that retry: a retry answers the message stored the first time. */
  clientId?: string;
  createdAt: number;
  /** createdAt plus the retention in force; shortened with it. The store's sweep deletes the row then. */
  expiresAt: number;
}

/**
 * A request waiting for its recipient. Only the recipient is in the clear (they must find it); the sender, the
 * conversation and the first message are sealed to the recipient's public key. Erased once answered.
 */
export interface ConversationRequestDoc {
  id: string;
  recipientId: string;
  sealed: string;
  /** The UTC day it was sent. */
  createdAt: number;
  expiresAt: number;
}

/** An account's public key for requests (derived from its member key) and who may send it requests. */
export interface ConversationKeyDoc {
  id: string;
  publicKey: string;
  accept: AcceptFrom;
}

/**
 * A member's list of conversations, their people and whom they blocked, encrypted under their member key. Its id
 * is the member's blinded id for the vault, so nothing stored says whose it is.
 */
export interface ConversationVaultDoc {
  id: string;
  box: string;
  /** Bumped on each write: two writes at once cannot lose one another's change. */
  version: number;
}

/** A copy of reported messages for the instance's moderators: the reported messages only, nothing else of the conversation. */
export interface ConversationReportDoc {
  id: string;
  /** The reported author's account, so moderators can act on it; null when it was not known. */
  authorId: string | null;
  messages: { body: string; createdAt: number }[];
  reason: ReportReason;
  note: string;
  status: 'open' | 'resolved';
  /** The UTC day it was filed. */
  createdAt: number;
  expiresAt: number;
}

export const REQUEST_LIFETIME_MS = 30 * 86_400_000;
export const REPORT_LIFETIME_MS = 90 * 86_400_000;

export const conversationsCollection = defineCollection<ConversationDoc>({
  name: 'conversations',
  fields: { createdAt: 'number' },
  indexes: [{ fields: ['createdAt'] }],
});

export const participantsCollection = defineCollection<ParticipantDoc>({
  name: 'conversation_participants',
  fields: { conversationId: 'string', place: 'number' },
  indexes: [{ fields: ['conversationId', 'place'], unique: true }],
});

export const conversationMessagesCollection = defineCollection<ConversationMessageDoc>({
  name: 'conversation_messages',
  fields: { conversationId: 'string', seq: 'number', authorId: 'string', clientId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [
    { fields: ['conversationId', 'seq'], unique: true },
    { fields: ['conversationId', 'authorId', 'clientId'], unique: true },
    { fields: ['authorId', 'createdAt'] },
  ],
  ttlField: 'expiresAt',
});

export const conversationRequestsCollection = defineCollection<ConversationRequestDoc>({
  name: 'conversation_requests',
  fields: { recipientId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['recipientId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const conversationKeysCollection = defineCollection<ConversationKeyDoc>({
  name: 'conversation_keys',
  fields: {},
  indexes: [],
});

export const conversationVaultsCollection = defineCollection<ConversationVaultDoc>({
  name: 'conversation_vaults',
  fields: {},
  indexes: [],
});

export const conversationReportsCollection = defineCollection<ConversationReportDoc>({
  name: 'conversation_reports',
  fields: { status: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['status', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const conversationsCollections = [
  conversationsCollection,
  participantsCollection,
  conversationMessagesCollection,
  conversationRequestsCollection,
  conversationKeysCollection,
  conversationVaultsCollection,
  conversationReportsCollection,
];
