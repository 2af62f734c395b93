import crypto from 'node:crypto';
import { DuplicateKeyError, type Store, type TxScope } from '../server/store/port.js';
import { allItems, eachPage } from '../server/store/paging.js';
import { foreignWrites } from '../server/core/foreign-writes.js';
import {
  apActivitiesCollection,
  apContextsCollection,
  apCountersCollection,
  apObjectsCollection,
  apStreamItemsCollection,
  type ApStreamItemDoc,
} from './apex.collections.js';
import type { ApexActivity, ApexContext, ApexMeta, ApexObject, IApexStore } from './apex-types.js';
import { activityDoc, collectionsOf, iriOf, itemId, mergeFields, objectDoc, parse, withoutMeta } from './apex-documents.js';
import type { Delivery, DeliveryQueue } from './outbound/delivery-queue.js';

/** apex's own collection handlers answer 400 on exactly this message. */
export const INVALID_PAGE = 'ApexStore: invalid page value';
const SEQ_COUNTER = 'stream_seq';
/** Collections whose size is remembered (one per local actor that has followers, in practice). */
const SUMMARIES = 1_000;

/** How many members a collection has, and the position of its newest: its fingerprint. */
interface MembersSummary {
  readonly count: number;
  readonly lastSeq: number;
}
const PAGE = 500;
/** How deep embedded copies are followed: an Announce of a Create of a post, and one level more for safety. */
const MAX_EMBEDDING_DEPTH = 2;

/**
 * activitypub-express's store interface (IApexStore) on Parasol's storage
 * port, so that federation runs on SQLite and MongoDB alike. It follows apex's
 * bundled MongoDB store (activitypub-express/store/index.js), whose behaviour
 * apex relies on:
 * - everything returned is a fresh copy (apex mutates what it gets);
 * - `_meta` is returned only when asked for (it holds private keys);
 * - getStream gives each item an `_id` page cursor, replaces `actor` IRIs by
 *   the stored actor objects and drops items whose actor is unknown;
 * - updateActivityMeta throws when the activity is not found.
 * Deliberate differences, for safety: a full replace of a local actor keeps
 * its private key, and queued deliveries do not copy signing keys (they are
 * read from the actor when sent). The delivery queue is its own class
 * (outbound/delivery-queue.ts): apex's deliveryEnqueue is handed to it, and
 * apex's dequeue and requeue are left out of the store on purpose: Parasol's worker
 * replaces apex's delivery loop (apex.ts).
 */
export class PortApexStore implements IApexStore {
  private readonly objects;
  private readonly activities;
  private readonly items;
  private readonly counters;
  private readonly contexts;
  private readonly summaries = new Map<string, MembersSummary>();
  private streamsVersion = 0;
  /** Other processes' writes seen when the summaries were last looked at (server/core/foreign-writes.ts). */
  private foreignSeen = foreignWrites();
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly queue: DeliveryQueue,
    now: () => number = Date.now,
  ) {
    this.objects = store.collection(apObjectsCollection);
    this.activities = store.collection(apActivitiesCollection);
    this.items = store.collection(apStreamItemsCollection);
    this.counters = store.collection(apCountersCollection);
    this.contexts = store.collection(apContextsCollection);
    this.now = now;
  }

  // ---- setup -------------------------------------------------------------

  async setup(initialUser?: ApexObject): Promise<unknown> {
    if (!(await this.counters.get(SEQ_COUNTER))) {
      await this.counters.insert({ id: SEQ_COUNTER, value: 0 }).catch((error: unknown) => {
        if (!(error instanceof DuplicateKeyError)) throw error;
      });
    }
    if (initialUser) {
      await this.objects.upsert(objectDoc(this.now(), initialUser));
      return this.getObject(initialUser.id, true);
    }
    return undefined;
  }

  generateId(): string {
    // Lower-case hex: apex lower-cases the IRIs it builds from ids.
    return crypto.randomBytes(12).toString('hex');
  }

  // ---- objects -----------------------------------------------------------

  async getObject(id: string, includeMeta?: boolean): Promise<ApexObject | null> {
    if (typeof id !== 'string' || id === '') return null;
    const doc = await this.objects.get(id);
    if (!doc) return null;
    const object = parse<ApexObject>(doc.json);
    // Strictly true, as in apex's store: a truthy non-boolean must not leak a private key.
    return includeMeta === true ? object : withoutMeta(object);
  }

  async saveObject(object: ApexObject): Promise<boolean> {
    // apex re-saves every follower's stored actor each time it addresses a Group's activity: a read is far
    // cheaper than a failed insert (which builds two errors with stack traces), 2,000 times per post.
    if (typeof object.id === 'string' && (await this.objects.get(object.id))) return false;
    try {
      await this.objects.insert(objectDoc(this.now(), object));
      return true;
    } catch (error) {
      if (error instanceof DuplicateKeyError) return false;
      throw error;
    }
  }

  async updateObject(object: ApexObject, _actorId: string | null, fullReplace?: boolean): Promise<ApexObject | null | undefined> {
    const updated = await this.store.transaction(async (tx) => {
      const col = tx.collection(apObjectsCollection);
      const existing = await col.get(object.id);
      if (!existing) return fullReplace ? undefined : null;
      const current = parse<ApexObject>(existing.json);
      let next: ApexObject;
      if (fullReplace) {
        next = structuredClone(object);
        // A remote copy of one of our own actors (a refetch) must never wipe its private key.
        if (current._meta?.privateKey && !next._meta?.privateKey) next._meta = { ...next._meta, privateKey: current._meta.privateKey };
        if (JSON.stringify(next) === existing.json) return undefined;
      } else {
        next = mergeFields(current, object);
      }
      await col.upsert(objectDoc(this.now(), next));
      return next;
    });
    if (!updated) return updated;
    await this.updateEmbeddedCopies(updated);
    // A full replace answers with what was given, a partial one with the stored object without its meta, as apex's store does.
    return fullReplace ? object : withoutMeta(structuredClone(updated));
  }

  // ---- activities ----------------------------------------------------------

  async getActivity(id: string, includeMeta?: boolean): Promise<ApexActivity | null> {
    if (typeof id !== 'string' || id === '') return null;
    const doc = await this.activities.get(id);
    if (!doc) return null;
    const activity = parse<ApexActivity>(doc.json);
    return includeMeta ? activity : withoutMeta(activity);
  }

  async findActivityByCollectionAndObjectId(collection: string, objectId: string, includeMeta?: boolean): Promise<ApexActivity | null> {
    const item = await this.items.findOne({ collection, objectIri: objectId });
    return item ? this.getActivity(item.activityId, includeMeta) : null;
  }

  async findActivityByCollectionAndActorId(collection: string, actorId: string, includeMeta?: boolean): Promise<ApexActivity | null> {
    const item = await this.items.findOne({ collection, actor: actorId });
    return item ? this.getActivity(item.activityId, includeMeta) : null;
  }

  /** True when stored, undefined when an activity with that id exists already (apex then adds the new collection itself). */
  async saveActivity(activity: ApexObject): Promise<boolean | undefined> {
    try {
      return await this.streamsTransaction(collectionsOf(activity), (tx) => this.insertActivity(tx, activity));
    } catch (error) {
      if (error instanceof DuplicateKeyError) return undefined;
      throw error;
    }
  }

  private async insertActivity(tx: TxScope, activity: ApexObject): Promise<true | undefined> {
    const col = tx.collection(apActivitiesCollection);
    if (await col.get(activity.id)) return undefined;
    await col.insert(activityDoc(this.now(), activity));
    for (const collection of collectionsOf(activity)) await this.addItem(tx, collection, activity);
    return true;
  }

  /**
   * An activity Parasol built itself: stored (unless it already is), queued for `delivery.addresses`, and
   * recorded by the caller's `also`, in one transaction. That is one commit where saveActivity, deliveryEnqueue
   * and the caller's record were three, and a crash cannot keep one of them without the others.
   */
  async publish(activity: ApexObject, delivery: Delivery, also?: (tx: TxScope) => Promise<unknown>): Promise<void> {
    await this.publishChanging(collectionsOf(activity), activity, delivery, also);
  }

  /** publish(), for an `also` that changes the members of `collections` too. */
  private async publishChanging(collections: readonly string[], activity: ApexObject, delivery: Delivery, also?: (tx: TxScope) => Promise<unknown>): Promise<void> {
    const queued = await this.streamsTransaction(collections, async (tx) => {
      await this.insertActivity(tx, activity);
      const done = await this.queue.enqueueIn(tx, delivery);
      await also?.(tx);
      return done;
    });
    if (queued) this.queue.enqueued();
  }

  async removeActivity(activity: { id: string }, actorId: string): Promise<{ deletedCount: number }> {
    const deleted = await this.streamsTransaction(null, async (tx) => {
      const col = tx.collection(apActivitiesCollection);
      const doc = await col.get(activity.id);
      // Only the activity's own actor may remove it (apex's store matches on id and actor).
      if (!doc || doc.actor !== actorId) return 0;
      await tx.collection(apStreamItemsCollection).deleteWhere({ activityId: doc.id });
      await col.delete(doc.id);
      return 1;
    });
    return { deletedCount: deleted };
  }

  async updateActivity(activity: ApexObject, fullReplace?: boolean): Promise<ApexObject> {
    const updated = await this.streamsTransaction(null, async (tx) => {
      const col = tx.collection(apActivitiesCollection);
      const existing = await col.get(activity.id);
      if (!existing) return null;
      const current = parse<ApexActivity>(existing.json);
      let next: ApexObject;
      if (fullReplace) {
        next = structuredClone(activity);
        // Remote Updates carry no _meta: keep the collections the activity is in.
        if (!next._meta && current._meta) next._meta = current._meta;
      } else {
        next = mergeFields(current, activity);
      }
      await col.upsert(activityDoc(this.now(), next));
      await this.syncItems(tx, next, collectionsOf(current), collectionsOf(next));
      return next;
    });
    if (!updated) return structuredClone(activity);
    await this.updateEmbeddedCopies(updated);
    return fullReplace ? structuredClone(activity) : structuredClone(updated);
  }

  async updateActivityMeta(activity: { id: string }, key: string, value: unknown, remove?: boolean): Promise<ApexActivity> {
    const collections = key === 'collection' && typeof value === 'string' ? [value] : [];
    const updated = await this.streamsTransaction(collections, (tx) => this.changeMeta(tx, activity.id, key, value, remove));
    if (!updated) throw new Error('Error updating activity meta: not found');
    return updated;
  }

  private async changeMeta(tx: TxScope, id: string, key: string, value: unknown, remove?: boolean): Promise<ApexActivity | null> {
    const col = tx.collection(apActivitiesCollection);
    const existing = await col.get(id);
    if (!existing) return null;
    const doc = parse<ApexActivity>(existing.json);
    const meta: ApexMeta = doc._meta ?? {};
    const list = Array.isArray(meta[key]) ? (meta[key] as unknown[]) : [];
    const same = (v: unknown) => JSON.stringify(v) === JSON.stringify(value);
    // $pull removes every equal value, $addToSet adds once.
    meta[key] = remove ? list.filter((v) => !same(v)) : list.some(same) ? list : [...list, value];
    doc._meta = meta;
    await col.upsert(activityDoc(this.now(), doc));
    if (key === 'collection' && typeof value === 'string') {
      if (remove) await tx.collection(apStreamItemsCollection).delete(itemId(value, doc.id));
      else await this.addItem(tx, value, doc);
    }
    return doc;
  }

  /**
   * An inbound Follow and our actor's answer, in one transaction: the Follow kept and, when accepted, put in the
   * actor's followers, where an earlier Follow by the same actor stops counting (each follower counts once); a
   * refusal takes the follower out. The answer is stored and queued as publish() does. apex's inbox and
   * acceptFollow took three commits for this, answered only after the Follow's sender had its response, and
   * also listed the Follow in the actor's inbox collection, which nothing reads (a tenth of a Follow's cost).
   */
  async answerFollow(follow: ApexActivity, to: { readonly followers: string; readonly accepted: boolean }, answer: ApexObject, delivery: Delivery): Promise<void> {
    const follower = iriOf(follow.actor);
    if (!follower) throw new Error('ApexStore: a Follow without an actor');
    const kept = to.accepted ? [to.followers] : [];
    await this.publishChanging([to.followers, ...collectionsOf(answer)], answer, delivery, async (tx) => {
      const earlier = await tx.collection(apStreamItemsCollection).findOne({ collection: to.followers, actor: follower });
      if (earlier && (earlier.activityId !== follow.id || !to.accepted)) await this.changeMeta(tx, earlier.activityId, 'collection', to.followers, true);
      if (await tx.collection(apActivitiesCollection).get(follow.id)) {
        for (const collection of kept) await this.changeMeta(tx, follow.id, 'collection', collection);
      } else {
        await this.insertActivity(tx, { ...follow, _meta: { ...follow._meta, collection: kept } });
      }
    });
  }

  async getStream(collectionId: string, limit: number | null, after?: string | null, blockList?: string[], query?: unknown): Promise<ApexObject[]> {
    if (query !== undefined && query !== null) throw new Error('ApexStore: custom stream queries are not supported');
    let before: number | undefined;
    if (after !== undefined && after !== null && after !== '') {
      if (typeof after !== 'string' || !/^\d{1,15}$/.test(after)) throw new Error(INVALID_PAGE);
      before = Number(after);
    }
    const blocked = new Set(blockList ?? []);
    const want = limit && limit > 0 ? limit : Infinity;
    const rows: ApStreamItemDoc[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.items.find({
        where: { collection: collectionId },
        orderBy: { field: 'seq', direction: 'desc' },
        ...(before !== undefined ? { range: { lt: before } } : {}),
        limit: Math.min(PAGE, Number.isFinite(want) ? want - rows.length + blocked.size : PAGE),
        after: cursor,
      });
      for (const row of page.items) {
        if (row.actor && blocked.has(row.actor)) continue;
        rows.push(row);
        if (rows.length >= want) break;
      }
      cursor = page.next;
    } while (cursor && rows.length < want);

    const activities = new Map((await this.getManyChunked(this.activities, rows.map((r) => r.activityId))).map((d) => [d.id, d]));
    const parsed = rows.flatMap((row) => {
      const doc = activities.get(row.activityId);
      return doc ? [{ row, activity: parse<ApexActivity>(doc.json) }] : [];
    });
    const actorIds = [...new Set(parsed.flatMap(({ activity }) => (Array.isArray(activity.actor) ? activity.actor : []).filter((a): a is string => typeof a === 'string')))];
    const actors = new Map((await this.getManyChunked(this.objects, actorIds)).map((d) => [d.id, d]));
    const out: ApexObject[] = [];
    for (const { row, activity } of parsed) {
      const resolved = (Array.isArray(activity.actor) ? activity.actor : [])
        .filter((a): a is string => typeof a === 'string')
        .flatMap((a) => {
          const doc = actors.get(a);
          return doc ? [withoutMeta(parse<ApexObject>(doc.json))] : [];
        });
      // As apex's $lookup: an activity whose actor is not stored is left out.
      if (resolved.length === 0) continue;
      withoutMeta(activity);
      if (Array.isArray(activity.object)) {
        for (const o of activity.object) if (o && typeof o === 'object') withoutMeta(o);
      }
      out.push({ ...activity, actor: resolved, _id: String(row.seq) });
    }
    return out;
  }

  /**
   * Changes whenever the collection's members change: any addition raises the
   * highest position, any removal without one lowers the count.
   */
  async collectionFingerprint(collectionId: string): Promise<string> {
    const { count, lastSeq } = await this.membersSummary(collectionId);
    return `${count}:${lastSeq}`;
  }

  private async membersSummary(collectionId: string): Promise<MembersSummary> {
    // Another process of the instance may have changed a collection (a Follow it accepted): then none is trusted.
    const foreign = foreignWrites();
    if (foreign !== this.foreignSeen) {
      this.foreignSeen = foreign;
      this.changedStreams(null);
    }
    const known = this.summaries.get(collectionId);
    if (known !== undefined) return known;
    const version = this.streamsVersion;
    const [count, last] = await Promise.all([
      this.items.count({ collection: collectionId }),
      this.items.find({ where: { collection: collectionId }, orderBy: { field: 'seq', direction: 'desc' }, limit: 1 }),
    ]);
    const summary = { count, lastSeq: last.items[0]?.seq ?? 0 };
    // Kept only when no collection changed while it was read.
    if (version === this.streamsVersion) {
      if (this.summaries.size >= SUMMARIES) this.summaries.clear();
      this.summaries.set(collectionId, summary);
    }
    return summary;
  }

  /** Removes one item from a collection (an admin's refusal of a server drops its followers). */
  async removeStreamItem(item: Pick<ApStreamItemDoc, 'id' | 'collection'>): Promise<void> {
    await this.streamsTransaction([item.collection], (tx) => tx.collection(apStreamItemsCollection).delete(item.id));
  }

  /**
   * A transaction that changes collections' members. Counting a board's
   * followers for every activity it sends was a good part of a reply's cost,
   * so counts are remembered until their collection changes; the
   * version moves before and after every change, so a count read while
   * one was under way is not kept.
   */
  private async streamsTransaction<T>(collections: readonly string[] | null, work: (tx: TxScope) => Promise<T>): Promise<T> {
    this.changedStreams(collections);
    try {
      return await this.store.transaction(work);
    } finally {
      this.changedStreams(collections);
    }
  }

  /** Forgets what is remembered of `collections` (null: of every collection). */
  private changedStreams(collections: readonly string[] | null): void {
    this.streamsVersion++;
    if (collections === null) this.summaries.clear();
    else for (const c of collections) this.summaries.delete(c);
  }

  /** The followers collection of every local actor: the instance, each board's Group, each member's Person. */
  async localFollowerLists(): Promise<string[]> {
    const locals = await allItems((after) => this.objects.find({ where: { local: true }, orderBy: { field: 'type' }, limit: 500, after }));
    return locals.map((actor) => `${actor.id}/followers`);
  }

  /** Removes `actor`'s follows of every local actor (its account was deleted on its server); answers how many there were. */
  async removeFollowsBy(actor: string): Promise<number> {
    let removed = 0;
    for (const collection of await this.localFollowerLists()) {
      const item = await this.items.findOne({ collection, actor });
      if (!item) continue;
      await this.removeStreamItem(item);
      removed++;
    }
    return removed;
  }

  /** Whether an actor of the server at `origin` is in the stream `collection` (a board's followers, say). */
  async hasItemFrom(collection: string, origin: string): Promise<boolean> {
    // '/' and '0' are neighbours in ASCII: every IRI under the origin sorts between the two.
    const page = await this.items.find({ where: { collection }, orderBy: { field: 'actor' }, range: { gte: `${origin}/`, lt: `${origin}0` }, limit: 1 });
    return page.items.length > 0;
  }

  async getStreamCount(collectionId: string): Promise<number> {
    return (await this.membersSummary(collectionId)).count;
  }

  async getUserCount(): Promise<number> {
    return this.objects.count({ local: true, type: 'Person' });
  }

  // ---- JSON-LD contexts ----------------------------------------------------

  async getContext(documentUrl: string): Promise<ApexContext | null> {
    const doc = await this.contexts.get(documentUrl);
    return doc ? { contextUrl: doc.contextUrl, documentUrl: doc.id, document: JSON.parse(doc.document) as unknown } : null;
  }

  async saveContext(context: ApexContext): Promise<unknown> {
    const document = typeof context.document === 'string' ? context.document : JSON.stringify(context.document);
    return this.contexts.upsert({ id: context.documentUrl, contextUrl: context.contextUrl ?? null, document });
  }

  // ---- delivery queue -------------------------------------------------------

  /** apex's queueing of what it sends (its Undo of a follow, for one), handed to the queue. */
  async deliveryEnqueue(actorId: string, body: string, addresses: string | string[], _signingKey?: string): Promise<boolean | undefined> {
    const queued = await this.queue.enqueue({ actorId, body, addresses: Array.isArray(addresses) ? addresses : [addresses] });
    return queued ? true : undefined;
  }

  /** The private key of a local actor, for signing. */
  async signingKey(actorId: string): Promise<string | null> {
    const actor = await this.getObject(actorId, true);
    const key = actor?._meta?.privateKey;
    return typeof key === 'string' ? key : null;
  }

  // ---- helpers -------------------------------------------------------------

  private async addItem(tx: TxScope, collection: string, activity: ApexObject): Promise<void> {
    const col = tx.collection(apStreamItemsCollection);
    const id = itemId(collection, activity.id);
    if (await col.get(id)) return;
    const counter = await tx.collection(apCountersCollection).increment(SEQ_COUNTER, { value: 1 });
    if (!counter) throw new Error('ApexStore: setup() was not run');
    await col.insert({ id, collection, activityId: activity.id, actor: iriOf(activity.actor), objectIri: iriOf(activity.object), seq: counter.value });
  }

  private async syncItems(tx: TxScope, activity: ApexObject, before: readonly string[], after: readonly string[]): Promise<void> {
    const col = tx.collection(apStreamItemsCollection);
    for (const c of before) if (!after.includes(c)) await col.delete(itemId(c, activity.id));
    for (const c of after) await this.addItem(tx, c, activity);
  }

  /**
   * Activities that embed an object keep a copy of it: replace the copies when the object changes, and the
   * copies of those activities in turn (a Group's Announce embeds the author's Create, which embeds the post),
   * so that an edit or a deletion leaves no older text in any activity the outbox serves or the file keeps.
   */
  private async updateEmbeddedCopies(object: ApexObject, depth = 0): Promise<void> {
    const fresh = withoutMeta(structuredClone(object));
    await eachPage(
      (after) => this.activities.find({ where: { embeddedObjectId: object.id }, limit: PAGE, after }),
      async (doc) => {
        const activity = parse<ApexActivity>(doc.json);
        if (!Array.isArray(activity.object)) return;
        activity.object = activity.object.map((o) => (o && typeof o === 'object' && o.id === object.id ? fresh : o));
        await this.activities.patch(doc.id, { json: JSON.stringify(activity) });
        if (depth < MAX_EMBEDDING_DEPTH) await this.updateEmbeddedCopies(activity, depth + 1);
      },
    );
  }

  private async getManyChunked<T extends { id: string }>(col: { getMany(ids: readonly string[]): Promise<T[]> }, ids: readonly string[]): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += PAGE) out.push(...(await col.getMany(ids.slice(i, i + PAGE))));
    return out;
  }
}
