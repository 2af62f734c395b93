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

/** An activity waiting to be sent to one inbox. The signing key is not copied here: it is read from the actor when sending. */
export interface ApDeliveryDoc {
  id: string;
  address: string;
  actorId: string;
  /** The activity, stored once for all the addresses it goes to (ap_delivery_bodies). */
  bodyId: string;
  /** Failed attempts so far. */
  attempt: number;
  /** When it is due (ms epoch); also pushed forward while a worker holds it, so a crash only delays it. */
  nextAt: number;
  createdAt: number;
  /** Past this it is given up, and the retention sweep deletes it. */
  expiresAt: number;
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

export const apDeliveriesCollection = defineCollection<ApDeliveryDoc>({
  name: 'ap_deliveries',
  fields: { nextAt: 'number', expiresAt: 'number', bodyId: 'string' },
  indexes: [{ fields: ['nextAt'] }, { fields: ['bodyId'] }],
  ttlField: 'expiresAt',
});

/**
 * What a queued delivery sends. A post to a board with followers on fifty
 * servers is fifty deliveries of one body: written once, not fifty times (with
 * every claim and retry rewriting each copy), which was most of what the
 * database wrote while replies came in. Deleted with its last delivery.
 */
export interface ApDeliveryBodyDoc {
  id: string;
  body: string;
  expiresAt: number;
}

export const apDeliveryBodiesCollection = defineCollection<ApDeliveryBodyDoc>({
  name: 'ap_delivery_bodies',
  fields: { expiresAt: 'number' },
  indexes: [],
  ttlField: 'expiresAt',
});

export const apexCollections = [
  apObjectsCollection,
  apActivitiesCollection,
  apStreamItemsCollection,
  apCountersCollection,
  apContextsCollection,
  apDeliveriesCollection,
  apDeliveryBodiesCollection,
];
