/**
 * The part of activitypub-express (apex) that Parasol uses, typed. apex ships
 * no types; these describe its 4.4.2 behaviour as read from its source.
 *
 * apex works on JSON-LD compacted with `compactArrays: false`, so almost every
 * property of an object it hands out is an array (`actor: ['https://…']`).
 * Private bookkeeping lives under `_meta` (never sent: apex strips keys that
 * start with `_` when it serialises) and per-request data under `_local`.
 */
import type { RequestHandler } from 'express';

export interface ApexMeta {
  /** IRIs of the collections (inbox, outbox, followers, …) that hold an activity. */
  collection?: string[];
  /** PEM of a local actor's private key (a string, not an array). */
  privateKey?: string;
  /** PEM of a local actor's Ed25519 key, which signs FEP-8b32 proofs. */
  proofKey?: string;
  [key: string]: unknown;
}

export interface ApexObject {
  id: string;
  type: string;
  _meta?: ApexMeta;
  _local?: { blockList?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ApexActor extends ApexObject {
  inbox: string[];
  outbox: string[];
  followers: string[];
  following: string[];
  liked: string[];
  preferredUsername: string[];
}

export interface ApexActivity extends ApexObject {
  actor: (string | ApexObject)[];
  object?: (string | ApexObject)[];
}

export interface ApexContext {
  contextUrl: string | null;
  documentUrl: string;
  document: unknown;
  /** jsonld's mark for a document that never changes: 'static' lets it keep the processed context across reads. */
  tag?: 'static';
}

/**
 * IApexStore (activitypub-express/store/interface.js), as far as apex calls it: its deliveryDequeue and
 * deliveryRequeue serve only its own delivery loop, which Parasol's worker replaces (apex.ts).
 */
export interface IApexStore {
  setup(initialUser?: ApexObject): Promise<unknown>;
  getObject(id: string, includeMeta?: boolean): Promise<ApexObject | null>;
  saveObject(object: ApexObject): Promise<boolean>;
  getActivity(id: string, includeMeta?: boolean): Promise<ApexActivity | null>;
  findActivityByCollectionAndObjectId(collection: string, objectId: string, includeMeta?: boolean): Promise<ApexActivity | null>;
  findActivityByCollectionAndActorId(collection: string, actorId: string, includeMeta?: boolean): Promise<ApexActivity | null>;
  getStream(collectionId: string, limit: number | null, after?: string | null, blockList?: string[], query?: unknown): Promise<ApexObject[]>;
  getStreamCount(collectionId: string): Promise<number>;
  getContext(documentUrl: string): Promise<ApexContext | null>;
  saveContext(context: ApexContext): Promise<unknown>;
  getUserCount(): Promise<number>;
  saveActivity(activity: ApexObject): Promise<boolean | undefined>;
  removeActivity(activity: { id: string }, actorId: string): Promise<unknown>;
  updateActivity(activity: ApexObject, fullReplace?: boolean): Promise<ApexObject>;
  updateActivityMeta(activity: { id: string }, key: string, value: unknown, remove?: boolean): Promise<ApexActivity>;
  generateId(): string;
  updateObject(object: ApexObject, actorId: string | null, fullReplace?: boolean): Promise<ApexObject | null | undefined>;
  deliveryEnqueue(actorId: string, body: string, addresses: string | string[], signingKey?: string): Promise<boolean | undefined>;
}

export interface ApexRoutes {
  actor: string;
  object: string;
  activity: string;
  inbox: string;
  outbox: string;
  followers: string;
  following: string;
  liked: string;
  collections: string;
  blocked: string;
  rejections: string;
  rejected: string;
  shares: string;
  likes: string;
}

export interface ApexSettings {
  name: string;
  version: string;
  baseUrl: string;
  actorParam: string;
  objectParam: string;
  activityParam?: string;
  collectionParam?: string;
  routes: ApexRoutes;
  store: IApexStore;
  logger: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
  context?: unknown[];
  endpoints?: Record<string, string>;
  itemsPerPage?: number;
  threadDepth?: number;
  offlineMode?: boolean;
  requestTimeout?: number;
  openRegistrations?: boolean;
}

export interface CollectionInfo {
  name: string;
  actor?: string;
  activity?: string;
  id?: string;
}

export interface ApexCollectionPage {
  id: string;
  type: string;
  orderedItems: unknown[];
  totalItems?: number;
}

export type Middleware = RequestHandler;

/** The apex object: an express middleware with its API bound on it. Methods are properties so Parasol can replace some. */
export interface Apex extends RequestHandler {
  settings: ApexSettings;
  baseUrl: string;
  domain: string;
  context: unknown[];
  store: IApexStore;
  offlineMode?: boolean;
  consts: { publicAddress: string; jsonldTypes: string[]; jsonldOutgoingType: string };
  utils: {
    usernameToIRI(name: string): string;
    objectIdToIRI(id?: string): string;
    activityIdToIRI(id?: string): string;
    nameToActorStreams(name: string): Record<string, string>;
    iriToCollectionInfo(iri: string): CollectionInfo | undefined;
    [key: string]: unknown;
  };
  net: {
    validators: Record<string, Middleware>;
    security: Record<string, Middleware>;
    activity: Record<string, Middleware>;
    collection: Record<string, Middleware>;
    responders: Record<string, Middleware>;
  };
  buildActivity(type: string, actorId: string, to: string | string[], etc?: Record<string, unknown>): Promise<ApexActivity>;
  addToOutbox(actor: ApexActor, activity: ApexActivity): Promise<unknown>;
  address(activity: ApexActivity, sender: ApexActor, audienceOverride?: string[]): Promise<string[]>;
  audienceFromActivity(activity: ApexObject): string[];
  resolveObject(id: unknown, includeMeta?: boolean, refresh?: boolean, localOnly?: boolean): Promise<ApexObject | null | undefined>;
  fromJSONLD(object: unknown): Promise<ApexObject>;
  toJSONLD(object: unknown): Promise<Record<string, unknown>>;
  getFollowers(actor: ApexActor, page?: string | number, includePrivate?: boolean): Promise<ApexCollectionPage>;
  getBlocked(actor: ApexActor, page?: string | number, includePrivate?: boolean): Promise<ApexCollectionPage>;
  isLocalIRI(id: string): boolean;
  // Replaced by Parasol (see apex.ts).
  stringifyPublicJSONLD(object: unknown): string;
  publishUpdate(actor: ApexActor, object: unknown, cc?: unknown): Promise<unknown>;
  requestObject(id: string): Promise<ApexObject | null>;
  jsonldContextLoader(url: string, options?: unknown): Promise<ApexContext>;
  startDelivery(): unknown;
  runDelivery(): unknown;
}
