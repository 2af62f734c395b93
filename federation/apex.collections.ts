import { defineCollection } from '../server/store/port.js';

/**
 * Collections behind the apex store (federation/apex-store.ts). apex documents
 * are stored as JSON text, not as fields: their keys (`@context`, `_meta`,
 * IRIs used as keys) are not all valid field names on both adapters, and only
 * the few fields declared here are ever queried.
 */

/** An object apex knows: a local actor (with its private key in `_meta`) or a cached remote object. */
export interface ApObjectDoc {
  /** The object's IRI. */
  id: string;
  type: string;
  /** True for objects that carry a private key: the instance's own actors. */
  local: boolean;
  json: string;
  updatedAt: number;
}

/** An activity, stored once whatever number of collections holds it. */
export interface ApActivityDoc {
  /** The activity's IRI. */
  id: string;
  /** The first actor's IRI when it is given as an IRI. */
  actor: string | null;
  /** The id of the first object when it is embedded (not an IRI): to refresh embedded copies when the object changes. */
  embeddedObjectId: string | null;
  json: string;
  createdAt: number;
}

/**
 * One activity in one collection (apex's `_meta.collection` array, one row per
 * entry), so that a collection is read in order from an index.
 */
export interface ApStreamItemDoc {
  /** Derived from collection and activity, so the same pair is never stored twice. */
  id: string;
  collection: string;
  activityId: string;
  actor: string | null;
  /** The activity's object when it is given as an IRI (what apex looks follows and blocks up by). */
  objectIri: string | null;
  /** Position in insertion order: the page cursor apex calls `_id`. */
  seq: number;
}

export interface ApCounterDoc {
  id: string;
  value: number;
}

/** A JSON-LD context document (apex's context cache). */
export interface ApContextDoc {
  /** The document URL. */
  id: string;
  contextUrl: string | null;
  document: string;
}

/** One inbox an activity still has to reach. */
export interface DeliveryTarget {
  address: string;
  /** Failed attempts so far. */
  attempt: number;
  /** When it is due (ms epoch); also pushed forward while a worker holds it, so a crash only delays it. */
  nextAt: number;
}

/**
 * An activity waiting to be sent, with the inboxes it has yet to reach. The signing key is not copied here: it
 * is read from the actor when sending.
 */
export interface ApDeliveryDoc {
  id: string;
  actorId: string;
  body: string;
  targets: DeliveryTarget[];
  /** The earliest of the targets' nextAt: what the queue is ordered by. */
  nextAt: number;
  createdAt: number;
  /** Past this it is given up, and the retention sweep deletes it. */
  expiresAt: number;
  /**
   * How many times the row was written since it was queued (missing: never). Every write is conditional on the
   * count just read, so two processes never both claim an inbox, nor undo each other's claim or completion.
   */
  rev?: number;
}

export const apObjectsCollection = defineCollection<ApObjectDoc>({
  name: 'ap_objects',
  fields: { type: 'string', local: 'boolean', updatedAt: 'number' },
  indexes: [{ fields: ['local', 'type'] }],
});

export const apActivitiesCollection = defineCollection<ApActivityDoc>({
  name: 'ap_activities',
  fields: { actor: 'string', embeddedObjectId: 'string', createdAt: 'number' },
  indexes: [{ fields: ['embeddedObjectId'] }],
});

export const apStreamItemsCollection = defineCollection<ApStreamItemDoc>({
  name: 'ap_stream_items',
  fields: { collection: 'string', activityId: 'string', actor: 'string', objectIri: 'string', seq: 'number' },
  indexes: [
    { fields: ['collection', 'seq'] },
    { fields: ['collection', 'objectIri'] },
    { fields: ['collection', 'actor'] },
    { fields: ['activityId'] },
  ],
});

export const apCountersCollection = defineCollection<ApCounterDoc>({
  name: 'ap_counters',
  fields: {},
  indexes: [],
});

export const apContextsCollection = defineCollection<ApContextDoc>({
  name: 'ap_contexts',
  fields: {},
  indexes: [],
});

/**
 * The delivery queue: a row per activity, not per inbox. A post to a board with followers on fifty servers was
 * fifty rows, each with its index entries, written when it was queued and again when each was claimed and sent:
 * a seventh of what a reply from a follower cost. (Named anew when it changed shape: rows queued by the
 * earlier, row-per-inbox queue of a pre-release file are not carried over.)
 */
export const apDeliveriesCollection = defineCollection<ApDeliveryDoc>({
  name: 'ap_delivery_queue',
  fields: { nextAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['nextAt'] }],
  ttlField: 'expiresAt',
  shownInAnswers: false,
});

export const apexCollections = [
  apObjectsCollection,
  apActivitiesCollection,
  apStreamItemsCollection,
  apCountersCollection,
  apContextsCollection,
  apDeliveriesCollection,
];
