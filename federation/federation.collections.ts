import { defineCollection } from '../server/store/port.js';

/**
 * Members are not discoverable until they say so: for people who post under a pseudonym because being
 * identified can cost them their safety, an outsider should not be able to confirm that a handle belongs here.
 */
export const DISCOVERABLE_BY_DEFAULT = false;

/** A member's federation settings; absent means the defaults (not discoverable, no actor yet). */
export interface ApMemberDoc {
  /** The account id. */
  id: string;
  /** Whether the member chose to federate under their handle: a Person is made for them, and it says `discoverable`. */
  discoverable: boolean;
  /** Set once the member's Person actor (and its key) exists; the actor is then served (and found by WebFinger) even when not discoverable, so remote copies of their posts still verify. */
  actorIri: string | null;
  /** Earlier accounts of the member's on other instances (they moved here): their actor's `alsoKnownAs`. */
  alsoKnownAs?: string[];
  /** The account on another instance the member moved to: their actor's `movedTo`. */
  movedTo?: string | null;
  updatedAt: number;
}

export type FollowState = 'pending' | 'accepted' | 'rejected';

/** A follow of a remote actor by one of ours, with what the remote answered. */
export interface ApFollowDoc {
  id: string;
  /** Our actor's IRI. */
  localActor: string;
  remoteActor: string;
  /** The Follow activity's IRI. */
  followId: string;
  state: FollowState;
  createdAt: number;
  updatedAt: number;
}

export const apMembersCollection = defineCollection<ApMemberDoc>({
  name: 'ap_members',
  fields: {},
  indexes: [],
});

export const apFollowsCollection = defineCollection<ApFollowDoc>({
  name: 'ap_follows',
  fields: { localActor: 'string', remoteActor: 'string', followId: 'string', state: 'string', createdAt: 'number' },
  indexes: [
    { fields: ['localActor', 'remoteActor'], unique: true },
    { fields: ['followId'], unique: true },
    { fields: ['localActor', 'createdAt'] },
    { fields: ['remoteActor', 'state'] },
  ],
});

/** A local post sent to a board's followers: what was sent, so that only changes are sent again. */
export interface ApSentPostDoc {
  /** The post's id. */
  id: string;
  threadId: string;
  /** Who it was sent as (the member's Person, or the Group for anonymous posts). */
  authorIri: string;
  groupIri: string;
  editedAt: number | null;
  /** How many photos went out with it: photos stored after the post (they are, a moment later) send an Update. */
  photos?: number;
  deleted: boolean;
  /** For a thread's first post: whether its followers were last told the thread is locked, and pinned. */
  locked?: boolean;
  pinned?: boolean;
  updatedAt: number;
}

export const apSentPostsCollection = defineCollection<ApSentPostDoc>({
  name: 'ap_sent_posts',
  fields: { threadId: 'string', deleted: 'boolean', updatedAt: 'number', authorIri: 'string' },
  indexes: [{ fields: ['threadId', 'deleted'] }, { fields: ['deleted', 'updatedAt'] }, { fields: ['authorIri', 'updatedAt'] }],
});

/**
 * A post of a remote board that one of our follows receives (mirrored so
 * members can read it here). The HTML is cleaned when it arrives.
 */
export interface ApRemotePostDoc {
  /** The object's IRI. */
  id: string;
  /** The remote Group (the board). */
  groupIri: string;
  /** The thread's IRI (FEP-7888 context; a thread's own IRI for its first post). */
  threadIri: string;
  inReplyTo: string | null;
  /** 'Page' (a thread) or 'Note' (a reply). */
  kind: string;
  title: string | null;
  html: string;
  summary: string | null;
  /** The actor named as author (the Group itself for anonymous posts). */
  attributedTo: string;
  published: number;
  updated: number | null;
  receivedAt: number;
  /** For a thread: locked (no more replies) and pinned by the board's moderators (Lock, and Add to `featured`). */
  locked?: boolean;
  pinned?: boolean;
}

export const apRemotePostsCollection = defineCollection<ApRemotePostDoc>({
  name: 'ap_remote_posts',
  fields: { groupIri: 'string', threadIri: 'string', kind: 'string', published: 'number', attributedTo: 'string' },
  indexes: [{ fields: ['groupIri', 'kind', 'published'] }, { fields: ['threadIri', 'published'] }, { fields: ['threadIri', 'kind', 'published'] }, { fields: ['attributedTo'] }],
});

/**
 * A post of a followed board that was deleted or removed: only its IRI, so
 * that an older Create or Update of it, replayed by a catch-up from the
 * board's outbox or arriving late, does not bring it back. Kept as long as an
 * outbox may still list the activities that made it.
 */
export interface ApRemoteTombstoneDoc {
  /** The deleted object's IRI. */
  id: string;
  groupIri: string;
  deletedAt: number;
  expiresAt: number;
}

export const apRemoteTombstonesCollection = defineCollection<ApRemoteTombstoneDoc>({
  name: 'ap_remote_tombstones',
  fields: { groupIri: 'string', expiresAt: 'number' },
  indexes: [{ fields: ['groupIri'] }],
  ttlField: 'expiresAt',
});

/**
 * A post on one of our boards that a member of another server wrote: the
 * activity that last changed it, kept as it arrived, so that the board's
 * Group announces it unchanged.
 */
export interface ApContributionDoc {
  /** The local post's id. */
  id: string;
  /** The post's object IRI on its origin. */
  objectIri: string;
  actorIri: string;
  /** The JSON of the latest Create, Update or Delete, as received. */
  activity: string;
  updatedAt: number;
}

export const apContributionsCollection = defineCollection<ApContributionDoc>({
  name: 'ap_contributions',
  fields: { objectIri: 'string', actorIri: 'string' },
  indexes: [{ fields: ['objectIri'], unique: true }, { fields: ['actorIri'] }],
});

/** A Like (or emoji reaction) from another server, counted as a supportive reaction on one of our posts. */
export interface ApLikeDoc {
  /** The Like's IRI, so that its Undo finds it. */
  id: string;
  postId: string;
  /** The hash that stands for the remote actor in the post's reactions. */
  reactor: string;
  kind: string;
  createdAt: number;
}

export const apLikesCollection = defineCollection<ApLikeDoc>({
  name: 'ap_likes',
  fields: { postId: 'string' },
  indexes: [{ fields: ['postId'] }],
});

/**
 * A member's reaction to a post of a followed remote board, sent as the instance's anonymous member's Like: kept
 * under the member's blinded id for that board, so that the row names no account, and counted so that the one Like
 * stays while any member's reaction does.
 */
export interface ApRemoteReactionDoc {
  /** `<the post's IRI, hashed>.<the member's blinded id for the remote board>`. */
  id: string;
  postIri: string;
  /** The member's blinded id for the remote board: only their key finds their rows (account deletion, export). */
  reactor: string;
  createdAt: number;
}

export const apRemoteReactionsCollection = defineCollection<ApRemoteReactionDoc>({
  name: 'ap_remote_reactions',
  fields: { postIri: 'string', reactor: 'string' },
  indexes: [{ fields: ['postIri'] }, { fields: ['reactor'] }],
});

/** A Like one of our actors sent (the instance's anonymous member, or a member's own Person): what its Undo takes back. */
export interface ApSentLikeDoc {
  /** The actor's and the post's IRIs, hashed together: one Like per actor and post. */
  id: string;
  actorIri: string;
  postIri: string;
  /** The remote board the post is on: a deleted member's Person tells it of the deletion. */
  groupIri: string;
  /** The Like as it was sent, so that its Undo embeds it (Lemmy checks the Undo's actor against the Like's). */
  like: string;
  createdAt: number;
}

export const apSentLikesCollection = defineCollection<ApSentLikeDoc>({
  name: 'ap_sent_likes',
  fields: { actorIri: 'string', postIri: 'string' },
  indexes: [{ fields: ['actorIri'] }, { fields: ['postIri'] }],
});

/**
 * The signing key of a member's Person whose account was deleted, kept only while the Delete of that Person (and of
 * its posts) is still being delivered, then dropped by the store.
 */
export interface ApDepartedKeyDoc {
  /** The actor's IRI. */
  id: string;
  privateKeyPem: string;
  expiresAt: number;
}

export const apDepartedKeysCollection = defineCollection<ApDepartedKeyDoc>({
  name: 'ap_departed_keys',
  fields: { expiresAt: 'number' },
  indexes: [],
  ttlField: 'expiresAt',
});

/** A partner instance of the regional network, with its instance actor's key pinned when it was added. */
export interface ApPartnerDoc {
  /** Its host (with a port, if any). */
  id: string;
  actorIri: string;
  inbox: string;
  keyId: string;
  publicKeyPem: string;
  addedAt: number;
}

export const apPartnersCollection = defineCollection<ApPartnerDoc>({
  name: 'ap_partners',
  fields: { addedAt: 'number' },
  indexes: [{ fields: ['addedAt'] }],
});

/** A review of a network board sent to the partners: which version, so that only changes go again. */
export interface ApSentReviewDoc {
  id: string;
  version: string;
  deleted: boolean;
  updatedAt: number;
}

export const apSentReviewsCollection = defineCollection<ApSentReviewDoc>({
  name: 'ap_sent_reviews',
  fields: {},
  indexes: [],
});

export type FederationMode = 'open' | 'allowlist';

/** A deny or allow rule for a remote domain, or a block of one remote actor (id: the domain or the actor's IRI). */
export interface ApPolicyRuleDoc {
  id: string;
  kind: 'domain' | 'actor';
  policy: 'deny' | 'allow';
  reason: string;
  createdAt: number;
}

export const apPolicyRulesCollection = defineCollection<ApPolicyRuleDoc>({
  name: 'ap_policy_rules',
  fields: { createdAt: 'number' },
  indexes: [{ fields: ['createdAt'] }],
});

/** Federation settings of the instance, one document each (`mode`: open, or allow-list only). */
export interface ApSettingDoc {
  id: string;
  value: string;
  updatedAt: number;
}

export const apSettingsCollection = defineCollection<ApSettingDoc>({
  name: 'ap_settings',
  fields: {},
  indexes: [],
});

/**
 * A signed inbox request accepted by some process of the instance, until its Date can no longer be valid
 * (inbound/replay-cache.ts). The id is a keyed hash of the request's signature; nothing else of it is stored.
 */
export interface ApSeenSignatureDoc {
  id: string;
  expiresAt: number;
}

export const apSeenSignaturesCollection = defineCollection<ApSeenSignatureDoc>({
  name: 'ap_seen_signatures',
  fields: { expiresAt: 'number' },
  indexes: [],
  ttlField: 'expiresAt',
  // Written for every inbound activity: other processes' kept answers must not drop each time.
  shownInAnswers: false,
});

export const federationCollections = [
  apMembersCollection,
  apFollowsCollection,
  apSentPostsCollection,
  apRemotePostsCollection,
  apRemoteTombstonesCollection,
  apPolicyRulesCollection,
  apSettingsCollection,
  apContributionsCollection,
  apLikesCollection,
  apPartnersCollection,
  apSentReviewsCollection,
  apRemoteReactionsCollection,
  apSentLikesCollection,
  apDepartedKeysCollection,
  apSeenSignaturesCollection,
];
