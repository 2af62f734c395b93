import crypto from 'node:crypto';
import type { ApActivityDoc, ApObjectDoc } from './apex.collections.js';
import type { ApexMeta, ApexObject } from './apex-types.js';

/*
 * apex's documents as the apex store keeps them: rows with the fields it
 * looks them up by, and the MongoDB behaviour apex expects of its store
 * (copies without `_meta`, $set-style partial updates).
 */

export const parse = <T>(json: string): T => JSON.parse(json) as T;

/** Drops `_meta` (private keys, the collections an activity is in) from a document about to be handed out. */
export function withoutMeta<T extends { _meta?: unknown }>(doc: T): T {
  delete doc._meta;
  return doc;
}

const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

export const iriOf = (value: unknown): string | null => {
  const v = first(value);
  return typeof v === 'string' ? v : null;
};

const embeddedIdOf = (value: unknown): string | null => {
  const v = first(value);
  return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;
};

export const collectionsOf = (doc: { _meta?: ApexMeta }): string[] => (Array.isArray(doc._meta?.collection) ? doc._meta.collection.filter((c) => typeof c === 'string') : []);

/** Stream items are keyed by a digest of (collection, activity): IRIs can be long, and the pair must be unique. */
export const itemId = (collection: string, activityId: string) =>
  crypto.createHash('sha256').update(collection).update('\n').update(activityId).digest('base64url');

export function objectDoc(now: number, object: ApexObject): ApObjectDoc {
  return {
    id: object.id,
    type: typeof object.type === 'string' ? object.type : String(first(object.type) ?? ''),
    local: typeof object._meta?.privateKey === 'string',
    json: JSON.stringify(object),
    updatedAt: now,
  };
}

export function activityDoc(now: number, activity: ApexObject): ApActivityDoc {
  return {
    id: activity.id,
    actor: iriOf(activity.actor),
    embeddedObjectId: embeddedIdOf(activity.object),
    json: JSON.stringify(activity),
    createdAt: now,
  };
}

/** A partial update as MongoDB's $set/$unset: null removes a field, anything else replaces it; the id never changes. */
export function mergeFields<T extends ApexObject>(current: T, patch: ApexObject): T {
  const next = structuredClone(current) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'id') continue;
    if (value === null) delete next[key];
    else next[key] = structuredClone(value);
  }
  return next as T;
}
