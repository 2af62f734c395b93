import { defineCollection } from '../store/port.js';
import type { ReportReason } from '../moderation/report-reasons.js';

/** Never `open`: every member of a private room was let in by a facilitator, directly or by an invite code. */
export type JoinPolicy = 'request' | 'invite';

/** How long a room keeps its messages; 1 is 24 hours. */
export const retentionChoices = [1, 7, 30, 90] as const;
export type RetentionDays = (typeof retentionChoices)[number];

export interface RoomDoc {
  id: string;
  name: string;
  description: string;
  /** A free label such as "HIV+ peer support": as sensitive as the name. */
  purpose: string;
  language: string;
  joinPolicy: JoinPolicy;
  retentionDays: RetentionDays;
  /** Shown in the room directory to members of the instance who are not in the room. */
  listed: boolean;
  readOnly: boolean;
  /**
   * Lets a holder of the request link see the room's name and ask to join an
   * unlisted room; without it an unlisted room answers 404 like a room that does not exist.
   */
  requestKey: string;
  /** The sequence number of the room's last message: messages are ordered and fetched by it. */
  seq: number;
  /**
   * The room's X25519 public key (raw, base64url): join requests seal the
   * applicant's handle to it. Its private key is stored only sealed to each
   * facilitator's membership (MembershipDoc.roomKey). Missing on a room made
   * before blinding until a facilitator opens its requests.
   */
  publicKey?: string;
  createdAt: number;
  updatedAt: number;
}

export type RoomRole = 'facilitator' | 'member';
/** What other members see as the author of a member's messages. */
export type DisplayMode = 'alias' | 'pseudonym';

/**
 * A membership holds no account id: its id is the member's blinded id in the
 * room (MemberKey.blind(blindScope.room(roomId))), which only a request or
 * socket carrying the member's key can compute. A membership migrated from
 * before blinding keeps a random id until its member claims it (room-claims.ts).
 */
export interface MembershipDoc {
  id: string;
  /**
   * How pages and facilitators name the membership: random, so it says nothing
   * about the member's key, and new when a member leaves and comes back.
   */
  ref: string;
  roomId: string;
  role: RoomRole;
  displayMode: DisplayMode;
  /** The room-specific name, unique in the room. */
  alias: string;
  /** The alias folded for the uniqueness check (case, width and accents do not make a new alias). */
  aliasKey: string;
  /** The member opted in to see the room's real name in titles and lists. */
  showName: boolean;
  mutedUntil: number | null;
  /** The last message the member has seen, for unread counts; never shown to anyone else. */
  lastReadSeq: number;
  joinedAt: number;
  /** The member's X25519 public key for this room (room-keys.ts), derived from their key; null until a migrated membership is claimed. */
  publicKey: string | null;
  /** For a facilitator: the room's private key sealed to `publicKey`; null for members. */
  roomKey: string | null;
  /** Set only on a migrated membership not claimed yet: it ends then (ROOM_CLAIM_TTL_MS). */
  expiresAt?: number | null;
}

export interface JoinRequestDoc {
  id: string;
  roomId: string;
  /**
   * The applicant's blinded id in the room, computed by the applicant's own
   * request: approval creates the membership under it. It is not linked to
   * the account.
   */
  memberId: string;
  /** The applicant's inbox blinded id (blindScope.inbox()): where the decision waits for their next visit. */
  inboxId: string;
  /** The applicant's room public key, so the membership is complete when a facilitator approves. */
  publicKey: string;
  /** The applicant's handle sealed to the room's public key: only the room's facilitators can read it, until the request is decided and erased. */
  sealedHandle: string;
  /** The applicant's short note to the facilitators. */
  note: string;
  /** The alias asked for; a neutral one is generated on approval when null. */
  alias: string | null;
  displayMode: DisplayMode;
  createdAt: number;
  /** Unanswered requests lapse after REQUEST_LIFETIME_MS. */
  expiresAt: number;
}

export const REQUEST_LIFETIME_MS = 30 * 86_400_000;

export interface RoomInviteDoc {
  id: string;
  roomId: string;
  /** Keyed hash of the code: the code itself is shown once and never stored. */
  hash: string;
  createdAt: number;
  expiresAt: number;
}

export interface MessageDoc {
  id: string;
  roomId: string;
  /** Order within the room, given inside the writing transaction: no gaps in what a reader catches up on. */
  seq: number;
  /** The author's blinded id in the room (their membership's id); null once the author deleted their account and chose to keep their messages. */
  authorId: string | null;
  /**
   * The alias or pseudonym as it was when the message was sent: changing
   * the display mode later must not re-label old messages and so link the alias to the pseudonym.
   * Null for a deleted member.
   */
  authorLabel: string | null;
  authorKind: DisplayMode | 'deleted';
  body: string;
  html: string;
  replyTo: string | null;
  /** The sending client's id for the message, so that a retried send is stored once. */
  clientId?: string;
  reactions: Record<string, number>;
  createdAt: number;
  editedAt: number | null;
  /** createdAt plus the room's retention at the time of sending. */
  expiresAt: number;
}

/** One member's reaction of one kind: only to keep reactions unique; never listed. */
export interface RoomReactionDoc {
  id: string;
  roomId: string;
  messageId: string;
  /** The member's blinded id in the room. */
  memberId: string;
  kind: string;
  createdAt: number;
  /** Goes with its message. */
  expiresAt: number;
}

/**
 * A decision on a join request, waiting for the applicant's next visit under
 * their inbox blinded id: never pushed, never kept by account.
 */
export interface RoomNoticeDoc {
  id: string;
  inboxId: string;
  kind: 'room_approved' | 'room_refused';
  roomId: string;
  createdAt: number;
  expiresAt: number;
}

export const NOTICE_LIFETIME_MS = 30 * 86_400_000;

/** A message pinned by a facilitator, or a resource (title and Markdown) such as a list of clinics. */
export interface PinDoc {
  id: string;
  roomId: string;
  messageId: string | null;
  title: string;
  body: string;
  html: string;
  createdAt: number;
  /** A pinned message's pin goes when the message does; resources stay until unpinned or the room closes. */
  expiresAt: number | null;
}

/** A report to the room's facilitators; it never reaches the instance moderators' queue. */
export interface RoomReportDoc {
  id: string;
  roomId: string;
  messageId: string;
  /** The reporter's blinded id in the room. */
  reporterId: string;
  reason: ReportReason;
  note: string;
  createdAt: number;
  /** The reported message's expiry: a report never outlives what it is about. */
  expiresAt: number;
}

export const roomsCollection = defineCollection<RoomDoc>({
  name: 'rooms',
  fields: { listed: 'boolean', createdAt: 'number' },
  indexes: [{ fields: ['listed', 'createdAt'] }],
});

export const membershipsCollection = defineCollection<MembershipDoc>({
  name: 'room_members',
  fields: { roomId: 'string', ref: 'string', role: 'string', aliasKey: 'string', joinedAt: 'number', expiresAt: 'number' },
  indexes: [
    { fields: ['roomId', 'ref'], unique: true },
    { fields: ['roomId', 'aliasKey'], unique: true },
    { fields: ['roomId', 'role', 'joinedAt'] },
    { fields: ['roomId', 'joinedAt'] },
  ],
  ttlField: 'expiresAt',
});

export const joinRequestsCollection = defineCollection<JoinRequestDoc>({
  name: 'room_requests',
  fields: { roomId: 'string', memberId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['roomId', 'memberId'], unique: true }, { fields: ['roomId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const roomInvitesCollection = defineCollection<RoomInviteDoc>({
  name: 'room_invites',
  fields: { roomId: 'string', hash: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['hash'], unique: true }, { fields: ['roomId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const messagesCollection = defineCollection<MessageDoc>({
  name: 'room_messages',
  fields: { roomId: 'string', seq: 'number', authorId: 'string', clientId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [
    { fields: ['roomId', 'seq'], unique: true },
    { fields: ['roomId', 'authorId', 'clientId'], unique: true },
    { fields: ['authorId', 'createdAt'] },
  ],
  ttlField: 'expiresAt',
});

export const roomReactionsCollection = defineCollection<RoomReactionDoc>({
  name: 'room_reactions',
  fields: { roomId: 'string', messageId: 'string', memberId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['memberId', 'createdAt'] }, { fields: ['messageId', 'createdAt'] }, { fields: ['roomId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const roomNoticesCollection = defineCollection<RoomNoticeDoc>({
  name: 'room_notices',
  fields: { inboxId: 'string', roomId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['inboxId', 'createdAt'] }, { fields: ['roomId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const pinsCollection = defineCollection<PinDoc>({
  name: 'room_pins',
  fields: { roomId: 'string', messageId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['roomId', 'createdAt'] }, { fields: ['messageId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const roomReportsCollection = defineCollection<RoomReportDoc>({
  name: 'room_reports',
  fields: { roomId: 'string', messageId: 'string', reporterId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [
    { fields: ['roomId', 'createdAt'] },
    { fields: ['messageId', 'reporterId'], unique: true },
    { fields: ['reporterId', 'createdAt'] },
  ],
  ttlField: 'expiresAt',
});

/**
 * A membership from before blinding, waiting for its member's next log-in:
 * the one place an account id still points at a room, for at most
 * ROOM_CLAIM_TTL_MS after the upgrade (room-claims.ts).
 */
export interface RoomClaimDoc {
  id: string;
  accountId: string;
  roomId: string;
  /** The membership's id until it is claimed (then it becomes the member's blinded id). */
  membershipId: string;
  expiresAt: number;
}

export const ROOM_CLAIM_TTL_MS = 30 * 86_400_000;

export const roomClaimsCollection = defineCollection<RoomClaimDoc>({
  name: 'room_claims',
  fields: { accountId: 'string', expiresAt: 'number' },
  indexes: [{ fields: ['accountId', 'expiresAt'] }],
  ttlField: 'expiresAt',
});

export const roomsCollections = [
  roomsCollection,
  membershipsCollection,
  joinRequestsCollection,
  roomInvitesCollection,
  messagesCollection,
  roomReactionsCollection,
  pinsCollection,
  roomReportsCollection,
  roomNoticesCollection,
  roomClaimsCollection,
];
