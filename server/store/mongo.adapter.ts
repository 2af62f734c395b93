/**
 * MongoDB adapter (official driver). One MongoDB collection per port
 * collection, the port id stored as `_id`. Reserved in documents: `_id`,
 * `_expiresAt` (the Date copy of the TTL field that MongoDB's TTL index needs),
 * `_search` (per text field, its searchableText() where that differs from the
 * field, i.e. words of scripts written without spaces split apart; never
 * returned) and `_language` (the text index's language override, pointed away
 * from any real field so a document's own `language` field cannot change
 * tokenising).
 *
 * Transactions need a replica set or mongos: a standalone server refuses
 * them. A single-node replica set (`mongod --replSet rs0`, then
 * `rs.initiate()`) is enough.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isDeepStrictEqual } from 'node:util';
import {
  MongoClient,
  type AnyBulkWriteOperation,
  MongoServerError,
  type ClientSession,
  type Collection as MongoCollection,
  type Db,
  type Document,
  type Filter,
  type IndexDescription,
  type Sort,
  type UpdateFilter,
} from 'mongodb';
import { declareMongoBlobs } from './mongo-blobs.js';
import {
  DuplicateKeyError,
  StoreError,
  type AnyCollectionSpec,
  type Blobs,
  type BlobSpec,
  type Collection,
  type CollectionSpec,
  type Doc,
  type FindQuery,
  type Page,
  type Scalar,
  type SearchQuery,
  type Store,
  type TxScope,
  type Where,
} from './port.js';
import {
  assertDocId,
  assertFieldName,
  compileSpec,
  decodeCursor,
  normalizeDoc,
  pageSegments,
  planQuery,
  planSearch,
  rangeBounds,
  resolveLimit,
  searchableText,
  searchTerms,
  SEARCH_TEXT_ICU,
  SEARCH_TEXT_VERSION,
  toPage,
  whereValues,
  type CompiledSpec,
  type QueryPlan,
  type RangeBound,
  type Segment,
} from './query.js';
import { incrementDeltas, patchFields } from './write-checks.js';
import { Declared } from './declared.js';
import { MongoChangeStream } from './mongo/change-stream.js';
import { ScopedCollection, refuseOutOfScope, type CollectionCore, type CollectionScope } from './scoped-collection.js';

export interface MongoStoreOptions {
  readonly url: string;
  /** Default: the database named in the URL, else `parasol`. */
  readonly dbName?: string;
  /** false: no change stream (nothing is kept in memory that other processes' writes could make stale). */
  readonly changeStream?: boolean;
  /** Called when the change stream breaks (it is opened again). */
  readonly onBackgroundError?: (error: unknown) => void;
}

interface Stored {
  _id: string;
  [field: string]: unknown;
}

interface TxState {
  open: boolean;
}

const EXPIRES_AT = '_expiresAt';
const SEARCH = '_search';
/** Reads leave the hidden search text on the server. */
const HIDDEN = { [SEARCH]: 0 } as const;
const BACKFILL_BATCH = 1000;
const DUPLICATE_KEY = 11000;
const ILLEGAL_OPERATION = 20;
const NAMESPACE_EXISTS = 48;

const path = (field: string): string => (field === 'id' ? '_id' : field);

/** A $type alias per port field type, for the partial filter of unique indexes. */
const BSON_TYPE = { string: 'string', number: 'number', boolean: 'bool' } as const;

function and(...parts: Document[]): Document {
  const conditions = parts.filter((part) => Object.keys(part).length > 0);
  if (conditions.length === 0) return {};
  if (conditions.length === 1) return conditions[0] as Document;
  return { $and: conditions };
}

function fromStored(raw: Document): Doc {
  const { _id, [EXPIRES_AT]: _expiresAt, [SEARCH]: _search, ...rest } = raw;
  return { id: _id as string, ...rest };
}

/**
 * What the text index reads for a text field besides the field itself: its
 * searchableText, only where that differs (text in scripts written without
 * spaces), so other documents store their text once. Only strings are
 * indexed, as MongoDB's text index does.
 */
function hiddenText(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = searchableText(value);
  return text === value ? null : text;
}

/** The `_search` subdocument for a document's text fields, or null when none needs one. */
function searchFields(spec: CompiledSpec, doc: Document): Record<string, string> | null {
  let fields: Record<string, string> | null = null;
  for (const field of spec.textFields) {
    const text = hiddenText(doc[field]);
    if (text !== null) (fields ??= {})[field] = text;
  }
  return fields;
}

/** One port collection over one MongoDB collection; every call passes the transaction's session, if any. */
class MongoCollectionCore implements CollectionCore<ClientSession | undefined> {
  constructor(
    readonly spec: CompiledSpec,
    readonly coll: MongoCollection<Stored>,
  ) {}

  /** Documents are stored as their JSON form, so both adapters give back the same values. */
  private toStored(doc: Doc): Stored {
    assertDocId(this.spec.name, doc.id);
    const { id, _id, [EXPIRES_AT]: _expiresAt, [SEARCH]: _search, ...rest } = normalizeDoc(doc) as Doc & Record<string, unknown>;
    const stored: Stored = { ...rest, _id: id };
    const expiry = this.expiryDate(rest[this.spec.ttlField ?? '']);
    if (expiry !== null) stored[EXPIRES_AT] = expiry;
    const search = searchFields(this.spec, rest);
    if (search !== null) stored[SEARCH] = search;
    return stored;
  }

  private expiryDate(value: unknown): Date | null {
    return this.spec.ttlField !== null && typeof value === 'number' && Number.isFinite(value) ? new Date(value) : null;
  }

  /** Hides expired documents: the TTL monitor deletes them only about once a minute. */
  notExpired(now = Date.now()): Document {
    return this.spec.ttlField === null ? {} : { [this.spec.ttlField]: { $not: { $lte: now } } };
  }

  eqFilter(plan: QueryPlan, values: Scalar[]): Document {
    const filter: Document = {};
    plan.eq.forEach((field, i) => {
      filter[path(field)] = values[i];
    });
    return filter;
  }

  async get(id: string, session: ClientSession | undefined): Promise<Doc | null> {
    const raw = await this.coll.findOne(and({ _id: id }, this.notExpired()) as Filter<Stored>, { session, projection: HIDDEN });
    return raw === null ? null : fromStored(raw);
  }

  async getMany(ids: readonly string[], session: ClientSession | undefined): Promise<Doc[]> {
    if (ids.length === 0) return [];
    const raws = await this.coll
      .find(and({ _id: { $in: [...ids] } }, this.notExpired()) as Filter<Stored>, { session, projection: HIDDEN })
      .toArray();
    const byId = new Map(raws.map((raw) => [raw._id, raw]));
    const docs: Doc[] = [];
    for (const id of ids) {
      const raw = byId.get(id);
      if (raw !== undefined) docs.push(fromStored(structuredClone(raw)));
    }
    return docs;
  }

  async insert(doc: Doc, session: ClientSession | undefined): Promise<Doc> {
    const stored = this.toStored(doc);
    await this.clearExpiredClashes(stored, session);
    await this.mapDuplicate(this.coll.insertOne(stored, { session }));
    return fromStored(stored);
  }

  async upsert(doc: Doc, session: ClientSession | undefined): Promise<Doc> {
    const { _id, ...replacement } = this.toStored(doc);
    await this.clearExpiredClashes({ ...replacement, _id }, session);
    await this.mapDuplicate(this.coll.replaceOne({ _id }, replacement, { upsert: true, session }));
    return fromStored({ ...replacement, _id });
  }

  async patch(id: string, fields: Record<string, unknown>, expected: Record<string, unknown> | undefined, session: ClientSession | undefined): Promise<Doc | null> {
    const match = this.expectedFilter(expected ?? {});
    const $set: Document = {};
    const $unset: Document = {};
    const { set, remove } = patchFields(this.spec, id, fields);
    for (const [field, value] of [...set, ...remove.map((field) => [field, undefined] as const)]) {
      if (value === undefined) $unset[field] = '';
      else $set[field] = normalizeDoc(value);
      if (field === this.spec.ttlField) {
        const expiry = this.expiryDate(value);
        if (expiry === null) $unset[EXPIRES_AT] = '';
        else $set[EXPIRES_AT] = expiry;
      }
      if (this.spec.textFields.includes(field)) {
        const text = hiddenText(value);
        if (text === null) $unset[`${SEARCH}.${field}`] = '';
        else $set[`${SEARCH}.${field}`] = text;
      }
    }
    const update: Document = {};
    if (Object.keys($set).length > 0) update.$set = $set;
    if (Object.keys($unset).length > 0) update.$unset = $unset;
    if (Object.keys(update).length === 0) {
      const raw = await this.coll.findOne(and({ _id: id }, match, this.notExpired()) as Filter<Stored>, { session, projection: HIDDEN });
      return raw === null ? null : fromStored(raw);
    }
    return this.findAndUpdate(id, update as UpdateFilter<Stored>, session, match);
  }

  /** patchIf's equality: a filter on the stored fields (MongoDB's null matches null and missing, as the port's). */
  private expectedFilter(expected: Record<string, unknown>): Document {
    const filter: Document = {};
    for (const [field, value] of Object.entries(expected)) {
      if (field !== 'id') assertFieldName(this.spec.name, field);
      if (value === undefined) throw new StoreError(`the expected ${this.spec.name}.${field} is undefined: give null or leave it out`);
      if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
        throw new StoreError(`the expected ${this.spec.name}.${field} must be a string, a finite number, a boolean or null`);
      }
      filter[field === 'id' ? '_id' : field] = value;
    }
    return filter;
  }

  async increment(id: string, deltas: Record<string, number | undefined>, session: ClientSession | undefined): Promise<Doc | null> {
    const $inc: Record<string, number> = Object.fromEntries(incrementDeltas(this.spec, deltas));
    if (Object.keys($inc).length === 0) return this.get(id, session);
    const ttl = this.spec.ttlField;
    if (ttl === null || !(ttl in $inc)) return this.findAndUpdate(id, { $inc } as UpdateFilter<Stored>, session);
    // $inc cannot also refresh the Date copy of the expiry; a pipeline update does both in one atomic write.
    const added = Object.fromEntries(Object.entries($inc).map(([field, delta]) => [field, { $add: [{ $ifNull: [`$${field}`, 0] }, delta] }]));
    return this.findAndUpdate(id, [{ $set: added }, { $set: { [EXPIRES_AT]: { $toDate: `$${ttl}` } } }], session);
  }

  private async findAndUpdate(id: string, update: UpdateFilter<Stored> | Document[], session: ClientSession | undefined, match: Document = {}): Promise<Doc | null> {
    const raw = await this.mapDuplicate(
      this.coll.findOneAndUpdate(and({ _id: id }, match, this.notExpired()) as Filter<Stored>, update, { returnDocument: 'after', session, projection: HIDDEN }),
    );
    return raw === null ? null : fromStored(raw);
  }

  async delete(id: string, session: ClientSession | undefined): Promise<boolean> {
    const result = await this.coll.deleteOne(and({ _id: id }, this.notExpired()) as Filter<Stored>, { session });
    return result.deletedCount > 0;
  }

  async deleteWhere(where: Where<Doc>, session: ClientSession | undefined): Promise<number> {
    const plan = planQuery(this.spec, where, undefined, true);
    if (plan.eq.length === 0) throw new StoreError(`deleteWhere on ${this.spec.name} needs at least one field`);
    return this.deleteMatching(and(this.eqFilter(plan, whereValues(this.spec, plan, where)), this.notExpired()), session);
  }

  async deleteMatching(filter: Document, session: ClientSession | undefined): Promise<number> {
    const result = await this.coll.deleteMany(filter as Filter<Stored>, { session });
    return result.deletedCount;
  }

  async count(where: Where<Doc> | undefined, session: ClientSession | undefined): Promise<number> {
    const plan = planQuery(this.spec, where, undefined, true);
    const filter = and(this.eqFilter(plan, whereValues(this.spec, plan, where)), this.notExpired());
    return this.coll.countDocuments(filter as Filter<Stored>, { session });
  }

  async findOne(where: Where<Doc>, session: ClientSession | undefined): Promise<Doc | null> {
    const plan = planQuery(this.spec, where, undefined, true);
    const base = and(this.eqFilter(plan, whereValues(this.spec, plan, where)), this.notExpired());
    const docs = await this.readPage(plan, base, null, [], [{ kind: 'start' }], 1, session);
    return docs[0] ?? null;
  }

  async find(query: FindQuery<Doc>, session: ClientSession | undefined): Promise<Page<Doc>> {
    const plan = planQuery(this.spec, query.where, query.orderBy);
    const base = and(this.eqFilter(plan, whereValues(this.spec, plan, query.where)), this.notExpired());
    const limit = resolveLimit(query.limit);
    const range = rangeBounds(this.spec, plan, query.range, query.orderBy !== undefined);
    const cursor = decodeCursor(this.spec, plan, query.after);
    const docs = await this.readPage(plan, base, null, range, pageSegments(plan, cursor, range.length > 0), limit + 1, session);
    return toPage(docs, limit, plan.orderField);
  }

  async search(text: string, query: SearchQuery<Doc>, session: ClientSession | undefined): Promise<Page<Doc>> {
    const plan = planSearch(this.spec, query.where, query.orderBy);
    const eq = this.eqFilter(plan, whereValues(this.spec, plan, query.where));
    const limit = resolveLimit(query.limit);
    const cursor = decodeCursor(this.spec, plan, query.after);
    const terms = searchTerms(text);
    if (terms.length === 0) return { items: [], next: null };
    // Quoted terms are phrases, which $text ANDs; unquoted terms would be ORed. $text stays top-level, as MongoDB requires.
    const textQuery = { $text: { $search: terms.map((term) => `"${term}"`).join(' ') } };
    const base = and(eq, this.notExpired());
    const docs = await this.readPage(plan, base, textQuery, [], pageSegments(plan, cursor, false), limit + 1, session);
    return toPage(docs, limit, plan.orderField);
  }

  /** Reads the segments in turn until `want` documents are found. */
  async readPage(
    plan: QueryPlan,
    base: Document,
    text: Document | null,
    range: RangeBound[],
    segments: readonly Segment[],
    want: number,
    session: ClientSession | undefined,
  ): Promise<Doc[]> {
    const order = path(plan.orderField);
    const dir = plan.desc ? -1 : 1;
    const sort: Sort = order === '_id' ? { _id: dir } : { [order]: dir, _id: dir };
    const docs: Doc[] = [];
    for (const segment of segments) {
      const filter = { ...text, ...and(base, this.segmentFilter(plan, segment, range, order)) };
      const raws = await this.coll
        .find(filter as Filter<Stored>, { sort, limit: want - docs.length, session, projection: HIDDEN })
        .toArray();
      for (const raw of raws) docs.push(fromStored(raw));
      if (docs.length >= want) break;
    }
    return docs;
  }

  private segmentFilter(plan: QueryPlan, segment: Segment, range: RangeBound[], order: string): Document {
    const beyond = plan.desc ? '$lt' : '$gt';
    const bounded: Document = {};
    for (const bound of range) bounded[`$${bound.op}`] = bound.value;
    const ranged = range.length > 0 ? { [order]: bounded } : {};
    switch (segment.kind) {
      case 'start':
        return ranged;
      case 'after':
        if (order === '_id') return and(ranged, { _id: { [beyond]: segment.id } });
        // One index range on the order field, minus the ties already seen; an $or would split the scan.
        return and(
          ranged,
          { [order]: { [plan.desc ? '$lte' : '$gte']: segment.value } },
          { $nor: [{ [order]: segment.value, _id: { [plan.desc ? '$gte' : '$lte']: segment.id } }] },
        );
      case 'nullsAfter':
        return { [order]: null, _id: { [beyond]: segment.id } };
      case 'nonNull':
        return and(ranged, { [order]: { $ne: null } });
      case 'nulls':
        return { [order]: null };
    }
  }

  /**
   * An expired document is invisible, so it must not block a new one with its
   * id or unique values. They are removed first rather than on a clash,
   * because inside a transaction a failed write aborts the whole transaction.
   * (A patch clashing with an expired document still waits for the TTL monitor.)
   */
  private async clearExpiredClashes(stored: Stored, session: ClientSession | undefined): Promise<void> {
    const ttl = this.spec.ttlField;
    if (ttl === null) return;
    const clashes: Document[] = [{ _id: stored._id }];
    for (const index of this.spec.indexes) {
      if (!index.unique) continue;
      const values = index.fields.map((field) => (field === 'id' ? stored._id : stored[field]));
      if (values.some((value) => value === undefined || value === null)) continue;
      clashes.push(Object.fromEntries(index.fields.map((field, i) => [path(field), values[i]])));
    }
    await this.coll.deleteMany({ [ttl]: { $lte: Date.now() }, $or: clashes } as Filter<Stored>, { session });
  }

  private async mapDuplicate<R>(write: Promise<R>): Promise<R> {
    try {
      return await write;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) {
        const keyPattern = (error.keyPattern ?? {}) as Record<string, unknown>;
        const fields = Object.keys(keyPattern).map((key) => (key === '_id' ? 'id' : key));
        throw new DuplicateKeyError(this.spec.name, fields.length > 0 ? fields : ['id']);
      }
      throw error;
    }
  }
}

/** Creates the collection and its indexes; idempotent. Dropped are only text indexes replaced by a new text field list. */
async function declareCollection(db: Db, spec: CompiledSpec): Promise<MongoCollection<Stored>> {
  try {
    await db.createCollection(spec.name);
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
  }
  const coll = db.collection<Stored>(spec.name);
  const indexes: IndexDescription[] = [];
  for (const index of spec.indexes) {
    const keys = index.fields.map(path);
    // The query index: the id as last key serves the order's tie-break. Partial indexes cannot serve every query.
    indexes.push({ key: Object.fromEntries([...new Set([...keys, '_id'])].map((key) => [key, 1])), name: `i_${index.fields.join('_')}` });
    if (index.unique) {
      // Partial, so documents with a missing or null field are not compared, as in SQLite.
      const partial = Object.fromEntries(
        index.fields.map((field) => [path(field), { $type: BSON_TYPE[spec.fieldTypes.get(field) ?? 'string'] }]),
      );
      indexes.push({ key: Object.fromEntries(keys.map((key) => [key, 1])), name: index.name, unique: true, partialFilterExpression: partial });
    }
  }
  if (spec.ttlField !== null) indexes.push({ key: { [EXPIRES_AT]: 1 }, name: 'ttl', expireAfterSeconds: 0 });

  // MongoDB allows one text index per collection: replace it when the text fields, SEARCH_TEXT_VERSION or ICU change.
  // It covers each text field and its `_search` copy, which only text in scripts written without spaces has.
  const textName = spec.textFields.length > 0 ? `text_v${SEARCH_TEXT_VERSION}_${SEARCH_TEXT_ICU}_${spec.textFields.join('_')}` : null;
  const existing = await coll.listIndexes().toArray();
  // Before the index is made, so that its existence means every document has its `_search` (a failed backfill reruns).
  if (textName !== null && !existing.some((index) => index.name === textName)) await backfillSearchFields(coll, spec);
  let droppedText = false;
  for (const index of existing) {
    const isText = Object.values(index.key as Document).includes('text');
    if (isText && index.name !== textName) {
      await coll.dropIndex(index.name as string);
      droppedText = true;
    }
  }
  if (textName === null && droppedText) await coll.updateMany({ [SEARCH]: { $exists: true } }, { $unset: { [SEARCH]: '' } });
  if (textName !== null) {
    indexes.push({
      key: Object.fromEntries(spec.textFields.flatMap((field) => [[field, 'text'], [`${SEARCH}.${field}`, 'text']])),
      name: textName,
      // "none": no stemming or stop words, like SQLite's unicode61 tokenizer; version 3 ignores case and diacritics.
      default_language: 'none',
      language_override: '_language',
    });
  }
  if (indexes.length > 0) await coll.createIndexes(indexes);
  return coll;
}

/**
 * Sets every document's `_search` from its text fields: documents written
 * before it existed, or under other text fields or another SEARCH_TEXT_VERSION.
 * Each update is guarded by the text values it was computed from, so a
 * document rewritten meanwhile (its writer sets `_search` itself) is left alone.
 */
async function backfillSearchFields(coll: MongoCollection<Stored>, spec: CompiledSpec): Promise<void> {
  const projection = Object.fromEntries([...spec.textFields, SEARCH].map((field) => [field, 1]));
  let batch: AnyBulkWriteOperation<Stored>[] = [];
  for await (const raw of coll.find({}, { projection })) {
    const wanted = searchFields(spec, raw);
    if (isDeepStrictEqual(wanted ?? undefined, raw[SEARCH])) continue;
    const filter: Document = { _id: raw._id };
    for (const field of spec.textFields) filter[field] = raw[field] === undefined ? { $exists: false } : raw[field];
    const update = wanted === null ? { $unset: { [SEARCH]: '' } } : { $set: { [SEARCH]: wanted } };
    batch.push({ updateOne: { filter: filter as Filter<Stored>, update: update as UpdateFilter<Stored> } });
    if (batch.length === BACKFILL_BATCH) {
      await coll.bulkWrite(batch, { ordered: false });
      batch = [];
    }
  }
  if (batch.length > 0) await coll.bulkWrite(batch, { ordered: false });
}

/** Where a handle's calls run: with the transaction's session inside one, without a session outside. */
class MongoScope implements CollectionScope<ClientSession | undefined> {
  constructor(
    private readonly store: MongoStore,
    private readonly session: ClientSession | undefined,
    private readonly tx: TxState | null,
  ) {}

  async run<R>(op: (session: ClientSession | undefined) => R | PromiseLike<R>): Promise<R> {
    // A store call inside a transaction deadlocks on SQLite; refusing it here too keeps the adapters alike.
    refuseOutOfScope(this.tx, () => this.store.insideOpenTransaction());
    return op(this.session);
  }
}

class MongoStore implements Store {
  readonly kind = 'mongodb';
  private readonly declared = new Declared<MongoCollectionCore>();
  private readonly inTransaction = new AsyncLocalStorage<TxState>();

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly changes: MongoChangeStream | null,
  ) {}

  insideOpenTransaction(): boolean {
    return this.inTransaction.getStore()?.open === true;
  }

  async declare(specs: readonly AnyCollectionSpec[]): Promise<void> {
    for (const spec of specs.map(compileSpec)) {
      this.declared.addCores([new MongoCollectionCore(spec, await declareCollection(this.db, spec))]);
    }
  }

  async declareBlobs(specs: readonly BlobSpec[]): Promise<void> {
    for (const spec of specs) this.declared.addBlobs(spec, await declareMongoBlobs(this.db, spec));
  }

  blobs(spec: BlobSpec): Blobs {
    return this.declared.blobs(spec);
  }

  collection<T extends Doc>(spec: CollectionSpec<T>): Collection<T> {
    return this.declared.handle(spec, (core) => new ScopedCollection(spec, core, new MongoScope(this, undefined, null)));
  }

  /** withTransaction retries fn on transient conflicts, so fn may run more than once. */
  async transaction<R>(fn: (tx: TxScope) => Promise<R>): Promise<R> {
    if (this.insideOpenTransaction()) {
      throw new StoreError('transaction() cannot be nested: use the tx scope you already have');
    }
    const session = this.client.startSession();
    try {
      return await session.withTransaction(async (activeSession) => {
        const state: TxState = { open: true };
        const scope: TxScope = {
          collection: <T extends Doc>(spec: CollectionSpec<T>): Collection<T> =>
            new ScopedCollection(spec, this.declared.core(spec.name), new MongoScope(this, activeSession, state)),
        };
        try {
          return await this.inTransaction.run(state, () => fn(scope));
        } finally {
          state.open = false;
        }
      });
    } catch (error) {
      if (error instanceof MongoServerError && error.code === ILLEGAL_OPERATION && /replica set|mongos/i.test(error.message)) {
        throw new StoreError(
          'MongoDB transactions need a replica set or mongos; this server is standalone (a single-node replica set is enough)',
          { cause: error },
        );
      }
      throw error;
    } finally {
      await session.endSession();
    }
  }

  async sweepExpired(now: number = Date.now()): Promise<number> {
    let deleted = 0;
    for (const core of this.declared.allCores()) {
      // The Date copy has the TTL index; every write keeps it in step with the TTL field.
      if (core.spec.ttlField !== null) deleted += await core.deleteMatching({ [EXPIRES_AT]: { $lte: new Date(now) } }, undefined);
    }
    return deleted;
  }

  /** The server's localTime, as hello reports it: on a replica set, the time of the member that answers. */
  async now(): Promise<number> {
    const hello = await this.db.admin().command({ hello: 1 });
    const time: unknown = hello.localTime;
    if (!(time instanceof Date)) throw new StoreError('the MongoDB server did not report its time');
    return time.getTime();
  }

  async close(): Promise<void> {
    await this.changes?.close();
    await this.client.close();
  }
}

/** The database named in the URL's path, if any (mongodb://host1,host2/name?options). */
function dbNameFromUrl(url: string): string | null {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?#]*)/.exec(url)?.[1];
  return name ? decodeURIComponent(name) : null;
}

export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const client = new MongoClient(options.url, { ignoreUndefined: true });
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    // The driver's message names hosts, never the URL's credentials.
    throw new StoreError(`could not connect to MongoDB: ${(error as Error).message}`, { cause: error });
  }
  const db = client.db(options.dbName ?? dbNameFromUrl(options.url) ?? 'parasol');
  // Other processes' writes drop what this one keeps (store/mongo/change-stream.ts); a replica set is needed, as
  // for transactions. Left out only by a caller that says so (a one-off command).
  const changes = options.changeStream === false ? null : new MongoChangeStream(db, { onError: options.onBackgroundError });
  try {
    await changes?.start();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new StoreError(`could not open a change stream on MongoDB (it needs a replica set): ${(error as Error).message}`, { cause: error });
  }
  return new MongoStore(client, db, changes);
}
