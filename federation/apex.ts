import type { Logger } from '../server/logger.js';
import type { Apex, ApexActivity, ApexActor, ApexObject } from './apex-types.js';
import type { PortApexStore } from './apex-store.js';
import { loadActivitypubExpress } from './apex-loader.js';
import { createContextLoader } from './contexts.js';
import { FetchError, fetchJson, type OutboundOptions, type Signer } from './fetch.js';
import { apexRoutes, type Iris } from './iris.js';
import { originOf, publicJsonReplacer } from './as.js';

// apex is CommonJS and ships no types; apex-types.ts describes what Parasol uses.
const activitypubExpress = loadActivitypubExpress();

/**
 * JSON-LD terms Parasol's documents use beyond ActivityStreams and security/v1.
 * They are defined inline (as Mastodon and Lemmy do) so a reader needs no
 * further context document.
 */
export const extensionContext = {
  toot: 'http://joinmastodon.org/ns#',
  lemmy: 'https://join-lemmy.org/ns#',
  discoverable: 'toot:discoverable',
  indexable: 'toot:indexable',
  manuallyApprovesFollowers: 'as:manuallyApprovesFollowers',
  sensitive: 'as:sensitive',
  postingRestrictedToMods: 'lemmy:postingRestrictedToMods',
  alsoKnownAs: { '@id': 'as:alsoKnownAs', '@type': '@id' },
  movedTo: { '@id': 'as:movedTo', '@type': '@id' },
  featured: { '@id': 'toot:featured', '@type': '@id' },
  // FEP-521a: the Ed25519 key that signs FEP-8b32 proofs, as a Multikey.
  assertionMethod: { '@id': 'https://w3id.org/security#assertionMethod', '@type': '@id', '@container': '@set' },
  Multikey: 'https://w3id.org/security#Multikey',
  controller: { '@id': 'https://w3id.org/security#controller', '@type': '@id' },
  publicKeyMultibase: { '@id': 'https://w3id.org/security#publicKeyMultibase', '@type': 'https://w3id.org/security#multibase' },
};

const PAGE_TYPES: ReadonlySet<string> = new Set(['CollectionPage', 'OrderedCollectionPage']);

export interface ApexOptions {
  readonly iris: Iris;
  readonly store: PortApexStore;
  readonly logger: Logger;
  readonly version: string;
  readonly outbound: OutboundOptions;
  /** The instance actor's key, which signs every fetch (FEP-2677). */
  readonly instanceSigner: () => Promise<Signer | null>;
  /** Called when apex queues deliveries. */
  readonly onQueued: () => void;
}

/**
 * One apex for this process, with the parts that decide what the server calls
 * replaced by Parasol's:
 * - requestObject: signed by the instance actor, SSRF-checked, bounded, and
 *   refusing a document whose id is on another origin than its URL (apex
 *   would cache it under that id). This also retires apex's NODE_ENV test,
 *   which refuses only 127.0.0.1 and localhost, and only in production.
 * - jsonldContextLoader: bundled contexts only (federation/contexts.ts).
 * - startDelivery / runDelivery: Parasol's worker (outbound/delivery-worker.ts)
 *   instead of apex's module-wide loop.
 * - utils.iriToCollectionInfo: understands Parasol's IRIs (federation/iris.ts).
 * - stringifyPublicJSONLD: writes the public collection in full (as.ts).
 * - publishUpdate: sends nothing. apex sends an Update of a collection (followers after an Undo Follow, following
 *   after an Accept, likes and shares counts) to every follower: a delivery per follower for each change, which
 *   Lemmy, Mastodon and NodeBB refuse, and which nobody needs (collections are read when wanted).
 */
export function createApex(options: ApexOptions): Apex {
  const { iris, logger } = options;
  const apexLogger = logger.child({ module: 'apex' });
  const say = (level: 'debug' | 'warn' | 'error') => (...args: unknown[]) =>
    apexLogger[level]({ detail: args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ').slice(0, 500) }, 'apex');

  const apex = activitypubExpress({
    name: 'parasol',
    version: options.version,
    baseUrl: iris.base,
    actorParam: 'actor',
    objectParam: 'id',
    activityParam: 'id',
    routes: apexRoutes,
    store: options.store,
    context: [extensionContext],
    logger: { info: say('debug'), warn: say('warn'), error: say('error') },
    itemsPerPage: 20,
    threadDepth: 5,
    requestTimeout: options.outbound.timeoutMs,
  });

  apex.requestObject = async (id: string): Promise<ApexObject | null> => {
    if (typeof id !== 'string' || iris.isLocal(id)) throw new FetchError('local objects are read from the store');
    const { url, json } = await fetchJson(id, { ...options.outbound, signer: await options.instanceSigner() });
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new FetchError('not an object');
    const doc = json as { id?: unknown; type?: unknown };
    // NodeBB's outbox pages carry no id: a page is only read, so the address it was read from stands for it.
    if (doc.id === undefined && typeof doc.type === 'string' && PAGE_TYPES.has(doc.type) && originOf(url.href) === originOf(id)) doc.id = url.href;
    const docId = doc.id;
    if (typeof docId !== 'string' || originOf(docId) !== originOf(id) || originOf(docId) !== url.origin) {
      throw new FetchError('document id is not on the origin it was fetched from');
    }
    return apex.fromJSONLD(json);
  };
  apex.jsonldContextLoader = createContextLoader({
    store: options.store,
    onUnknown: (url) => apexLogger.info({ context: url.slice(0, 200) }, 'unknown JSON-LD context read as empty'),
  });
  cacheFollowerInboxes(apex, options.store);
  apex.startDelivery = () => options.onQueued();
  apex.runDelivery = () => options.onQueued();
  apex.utils.iriToCollectionInfo = (iri: string) => iris.collectionInfo(iri);
  apex.stringifyPublicJSONLD = (object: unknown) => JSON.stringify(object, publicJsonReplacer);
  apex.publishUpdate = () => Promise.resolve(undefined);
  return apex;
}

const FOLLOWER_INBOXES_TTL_MS = 10 * 60_000;

/** Where an activity for a stored remote actor goes: its server's shared inbox when it names one, else its own. */
export const deliveryInbox = (actor: ApexObject): string | undefined =>
  ((actor.endpoints as ApexObject[] | undefined)?.[0]?.sharedInbox as string[] | undefined)?.[0] ?? (actor.inbox as string[] | undefined)?.[0];

/**
 * apex addresses an activity to an actor's followers by reading every
 * follower and its stored actor, for every activity: with 2,000 followers,
 * most of the cost of a board's post. The inboxes of each followers
 * collection are kept until its members change (or ten minutes pass, for
 * followers whose server moved its inbox).
 */
function cacheFollowerInboxes(apex: Apex, store: PortApexStore): void {
  const original = apex.address.bind(apex);
  const cache = new Map<string, { fingerprint: string; at: number; inboxes: string[] }>();
  const inboxesOf = async (sender: ApexActor): Promise<string[]> => {
    const collection = sender.followers[0]!;
    const fingerprint = await store.collectionFingerprint(collection);
    const hit = cache.get(collection);
    if (hit && hit.fingerprint === fingerprint && Date.now() - hit.at < FOLLOWER_INBOXES_TTL_MS) return hit.inboxes;
    const followers = (await apex.getFollowers(sender, Infinity as unknown as number, true)).orderedItems as ApexObject[];
    const inboxes = [...new Set(followers.map(deliveryInbox).filter((i): i is string => typeof i === 'string' && i !== sender.inbox[0]))];
    if (cache.size > 1_000) cache.clear();
    cache.set(collection, { fingerprint, at: Date.now(), inboxes });
    return inboxes;
  };
  apex.address = async (activity: ApexActivity, sender: ApexActor, audienceOverride?: string[]): Promise<string[]> => {
    const followers = sender.followers?.[0];
    const audience = audienceOverride ?? [...new Set(apex.audienceFromActivity(activity))];
    if (!followers || !audience.includes(followers)) return original(activity, sender, audienceOverride);
    const rest = audience.filter((a) => a !== followers);
    const [others, ofFollowers] = await Promise.all([rest.length > 0 ? original(activity, sender, rest) : Promise.resolve([]), inboxesOf(sender)]);
    return [...new Set([...others, ...ofFollowers])];
  };
}
