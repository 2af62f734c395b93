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
  /** Whether WebFinger finds the member (acct:handle@instance) and their actor says `discoverable`. */
  discoverable: boolean;
  /** Set once the member's Person actor (and its key) exists; the actor is then served even when not discoverable, so remote copies of their posts still verify. */
  actorIri: string | null;
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

export const federationCollections = [apMembersCollection, apFollowsCollection];
