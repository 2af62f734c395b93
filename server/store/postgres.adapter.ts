/**
 * PostgreSQL adapter (pg driver, PostgreSQL 15 or later), for deployments
 * with several application machines on one database. The layout (tables,
 * generated columns, indexes, text index) is in postgres/schema.ts; every
 * query is served by a declared index, pages continue from a cursor on that
 * index (never an offset).
 *
 * Expired documents are hidden from every read at once and deleted by a
 * timed sweep. A transaction checks one connection out of the pool for its
 * duration (BEGIN ... COMMIT, read committed); a call on the store itself or a
 * nested transaction inside it is refused at once, as on MongoDB. Documents
 * are not kept in memory (memoryCache is ignored): another machine's commit
 * could not be seen without asking the database. Every committed write is
 * announced to the other processes on the database (postgres/change-feed.ts),
 * whose kept answers drop within the feed's bound.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
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
  pageSegments,
  planQuery,
  planSearch,
  rangeBounds,
  resolveLimit,
  toPage,
  whereValues,
  type CompiledSpec,
  type QueryPlan,
  type RangeBound,
  type Segment,
} from './query.js';
import { incrementDeltas, patchFields } from './write-checks.js';
import { Declared } from './declared.js';
import { startSweepTimer } from './sweep-timer.js';
import { addChange, ChangeFeed, type Changes } from './postgres/change-feed.js';
import { ScopedCollection, refuseOutOfScope, type CollectionCore, type CollectionScope } from './scoped-collection.js';
import { column, declareCollection, indexName, readTextLayouts, SEARCH_COLUMN, table, wordsColumn } from './postgres/schema.js';
import { databaseScope } from './postgres/scope.js';
import { declarePostgresBlobs, PostgresBlobs } from './postgres/blobs.js';
import { indexedWords, searchQuery } from './postgres/search-tokens.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (or postgresql://). */
  readonly url: string;
  /** Connections in the pool; default 10. */
  readonly maxConnections?: number;
  /** How often expired documents are deleted; default 60 s; null for no timer (the caller sweeps). */
  readonly sweepIntervalMs?: number | null;
  /** Called when a timed sweep fails (the next one retries), an idle connection breaks (the pool replaces it) or the change feed's does (it reconnects). */
  readonly onBackgroundError?: (error: unknown) => void;
}

type Queryable = pg.Pool | pg.PoolClient;

interface TxState {
  open: boolean;
  readonly client: pg.PoolClient;
  /** What the transaction wrote, announced with its commit. */
  readonly changes: Changes;
}

const UNIQUE_VIOLATION = '23505';
/** Deadlock and serialization failure: the transaction is rolled back and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TX_ATTEMPTS = 3;
/** Serialises declare() across processes starting together: concurrent CREATE TABLE IF NOT EXISTS can clash. */
const DECLARE_LOCK = 0x7061_7261;

const COMPARE: Record<RangeBound['op'], string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** A NUL escape in JSON text, not preceded by an odd number of backslashes (which would make it literal text). */
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * JSON text for a jsonb parameter. jsonb cannot hold U+0000, which a member
 * or a remote server may send; it becomes U+FFFD, as HTML parsers and the
 * Markdown renderer show it anyway, rather than failing the write.
 */
function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replace(NUL_ESCAPE, '$1\\ufffd') : json;
}

/** Collects bound values and hands out their $n placeholders. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** One port collection over one table; every method runs on the pool or on a transaction's connection. */
class PostgresCollectionCore implements CollectionCore<Queryable> {
  private readonly t: string;
  /** Unique index names to their fields, to name the fields of a DuplicateKeyError. */
  private readonly uniqueIndexes = new Map<string, readonly string[]>();

  constructor(readonly spec: CompiledSpec) {
    this.t = table(spec.name);
    this.uniqueIndexes.set(`c_${spec.name}_pkey`, ['id']);
    for (const index of spec.indexes) if (index.unique) this.uniqueIndexes.set(indexName(spec.name, index.name), index.fields);
  }

  /** The condition hiding expired documents (empty without a TTL field). */
  private notExpired(params: Params): string {
    if (this.spec.ttlField === null) return '';
    const ttl = column(this.spec.ttlField);
    return ` AND (${ttl} IS NULL OR ${ttl} > ${params.add(Date.now())})`;
  }

  /** Equality on the plan's fields; a null value matches null and missing fields with IS NULL, which indexes serve. */
  private eqSql(plan: QueryPlan, values: readonly Scalar[], params: Params): string {
    if (plan.eq.length === 0) return 'TRUE';
    return plan.eq
      .map((field, i) => {
        const value = values[i] ?? null;
        return value === null ? `${column(field)} IS NULL` : `${column(field)} = ${params.add(value)}`;
      })
      .join(' AND ');
  }

  /** The words columns of a whole document, in textFields order. */
  private words(doc: Record<string, unknown>): (string[] | null)[] {
    return this.spec.textFields.map((field) => indexedWords(doc[field]));
  }

  async get(id: string, db: Queryable): Promise<Doc | null> {
    const params = new Params();
    const sql = `SELECT doc FROM ${this.t} WHERE id = ${params.add(id)}${this.notExpired(params)}`;
    const { rows } = await db.query<{ doc: Doc }>(sql, params.values);
    return rows[0]?.doc ?? null;
  }

  async getMany(ids: readonly string[], db: Queryable): Promise<Doc[]> {
    if (ids.length === 0) return [];
    const params = new Params();
    const sql = `SELECT doc FROM ${this.t} WHERE id = ANY(${params.add([...ids])}::text[])${this.notExpired(params)}`;
    const { rows } = await db.query<{ doc: Doc }>(sql, params.values);
    const byId = new Map(rows.map((row) => [row.doc.id, row.doc]));
    const docs: Doc[] = [];
    for (const id of ids) {
      const doc = byId.get(id);
      // A repeated id gets its own copy.
      if (doc !== undefined) docs.push(structuredClone(doc));
    }
    return docs;
  }

  async insert(doc: Doc, db: Queryable): Promise<Doc> {
    return this.write(db, doc, '');
  }

  async upsert(doc: Doc, db: Queryable): Promise<Doc> {
    const sets = ['doc = excluded.doc', ...this.spec.textFields.map((field) => `${wordsColumn(field)} = excluded.${wordsColumn(field)}`)];
    return this.write(db, doc, ` ON CONFLICT (id) DO UPDATE SET ${sets.join(', ')}`);
  }

  private async write(db: Queryable, doc: Doc, onConflict: string): Promise<Doc> {
    assertDocId(this.spec.name, doc.id);
    const json = toJson(doc);
    const normalized = JSON.parse(json) as Doc & Record<string, unknown>;
    await this.clearExpiredClashes(db, normalized);
    const params = new Params();
    const columns = ['id', 'doc', ...this.spec.textFields.map(wordsColumn)];
    const values = [params.add(doc.id), `${params.add(json)}::jsonb`, ...this.words(normalized).map((words) => `${params.add(words)}::text[]`)];
    await this.mapDuplicate(db.query(`INSERT INTO ${this.t} (${columns.join(', ')}) VALUES (${values.join(', ')})${onConflict}`, params.values));
    return normalized;
  }

  /**
   * An expired document is invisible, so it must not block a new one with its
   * id or unique values. They are deleted before the write rather than on a
   * clash, because a failed statement aborts the whole transaction it is in.
   * (A patch clashing with an expired document waits for the sweep.)
   */
  private async clearExpiredClashes(db: Queryable, doc: Record<string, unknown>): Promise<void> {
    if (this.spec.ttlField === null) return;
    const params = new Params();
    const clashes = [`id = ${params.add(doc.id)}`];
    for (const index of this.spec.indexes) {
      if (!index.unique) continue;
      const values = index.fields.map((field) => doc[field]);
      const typed = index.fields.every((field, i) => {
        const value = values[i];
        return value !== null && value !== undefined && typeof value === this.spec.fieldTypes.get(field);
      });
      if (!typed) continue;
      clashes.push(`(${index.fields.map((field, i) => `${column(field)} = ${params.add(values[i])}`).join(' AND ')})`);
    }
    await db.query(`DELETE FROM ${this.t} WHERE ${column(this.spec.ttlField)} <= ${params.add(Date.now())} AND (${clashes.join(' OR ')})`, params.values);
  }

  /** With `expected`, only a document whose fields equal it (by JSON type: true is not 1; null matches missing) is patched. */
  async patch(id: string, fields: Record<string, unknown>, expected: Record<string, unknown> | undefined, db: Queryable): Promise<Doc | null> {
    const { set, remove } = patchFields(this.spec, id, fields);
    if (set.length === 0 && remove.length === 0 && expected === undefined) return this.get(id, db);
    const json = toJson(Object.fromEntries(set));
    const normalized = JSON.parse(json) as Record<string, unknown>;
    const params = new Params();
    const assignments = [`doc = (doc || ${params.add(json)}::jsonb) - ${params.add(remove)}::text[]`];
    for (const field of this.spec.textFields) {
      if (field in normalized) assignments.push(`${wordsColumn(field)} = ${params.add(indexedWords(normalized[field]))}::text[]`);
      else if (remove.includes(field)) assignments.push(`${wordsColumn(field)} = NULL`);
    }
    const conditions = Object.entries(expected ?? {}).map(([field, value]) => {
      assertFieldName(this.spec.name, field);
      // An undefined expectation would silently match anything: refuse it, as the other adapters do.
      if (value === undefined) throw new StoreError(`patchIf on ${this.spec.name}: expected ${field} is undefined`);
      return value === null
        ? ` AND (doc->'${field}' IS NULL OR doc->'${field}' = 'null'::jsonb)`
        : ` AND doc->'${field}' = ${params.add(toJson(value))}::jsonb`;
    });
    const sql = `UPDATE ${this.t} SET ${assignments.join(', ')} WHERE id = ${params.add(id)}${conditions.join('')}${this.notExpired(params)} RETURNING doc`;
    const { rows } = await this.mapDuplicate(db.query<{ doc: Doc }>(sql, params.values));
    return rows[0]?.doc ?? null;
  }

  async increment(id: string, deltas: Record<string, number | undefined>, db: Queryable): Promise<Doc | null> {
    const params = new Params();
    const added: string[] = [];
    for (const [field, delta] of incrementDeltas(this.spec, deltas)) {
      // A field that holds no number counts as 0, as a missing one does.
      const current = `CASE WHEN jsonb_typeof(doc->'${field}') = 'number' THEN (doc->'${field}')::double precision ELSE 0 END`;
      added.push(`'${field}', ${current} + ${params.add(delta)}::double precision`);
    }
    if (added.length === 0) return this.get(id, db);
    const sql = `UPDATE ${this.t} SET doc = doc || jsonb_build_object(${added.join(', ')}) WHERE id = ${params.add(id)}${this.notExpired(params)} RETURNING doc`;
    const { rows } = await this.mapDuplicate(db.query<{ doc: Doc }>(sql, params.values));
    return rows[0]?.doc ?? null;
  }

  async delete(id: string, db: Queryable): Promise<boolean> {
    const params = new Params();
    const result = await db.query(`DELETE FROM ${this.t} WHERE id = ${params.add(id)}${this.notExpired(params)}`, params.values);
    return (result.rowCount ?? 0) > 0;
  }

  async deleteWhere(where: Where<Doc>, db: Queryable): Promise<number> {
    const plan = planQuery(this.spec, where, undefined, true);
    if (plan.eq.length === 0) throw new StoreError(`deleteWhere on ${this.spec.name} needs at least one field`);
    const params = new Params();
    const conditions = this.eqSql(plan, whereValues(this.spec, plan, where), params) + this.notExpired(params);
    const result = await db.query(`DELETE FROM ${this.t} WHERE ${conditions}`, params.values);
    return result.rowCount ?? 0;
  }

  async count(where: Where<Doc> | undefined, db: Queryable): Promise<number> {
    const plan = planQuery(this.spec, where, undefined, true);
    const params = new Params();
    const conditions = this.eqSql(plan, whereValues(this.spec, plan, where), params) + this.notExpired(params);
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t} WHERE ${conditions}`, params.values);
    return Number(rows[0]?.n ?? 0);
  }

  async findOne(where: Where<Doc>, db: Queryable): Promise<Doc | null> {
    const plan = planQuery(this.spec, where, undefined, true);
    const docs = await this.readPage(db, plan, whereValues(this.spec, plan, where), [], [{ kind: 'start' }], 1, null);
    return docs[0] ?? null;
  }

  async find(query: FindQuery<Doc>, db: Queryable): Promise<Page<Doc>> {
    const plan = planQuery(this.spec, query.where, query.orderBy);
    const values = whereValues(this.spec, plan, query.where);
    const limit = resolveLimit(query.limit);
    const range = rangeBounds(this.spec, plan, query.range, query.orderBy !== undefined);
    const cursor = decodeCursor(this.spec, plan, query.after);
    const docs = await this.readPage(db, plan, values, range, pageSegments(plan, cursor, range.length > 0), limit + 1, null);
    return toPage(docs, limit, plan.orderField);
  }

  async search(text: string, query: SearchQuery<Doc>, db: Queryable): Promise<Page<Doc>> {
    const plan = planSearch(this.spec, query.where, query.orderBy);
    const values = whereValues(this.spec, plan, query.where);
    const limit = resolveLimit(query.limit);
    const cursor = decodeCursor(this.spec, plan, query.after);
    const match = searchQuery(text);
    if (match === null) return { items: [], next: null };
    const docs = await this.readPage(db, plan, values, [], pageSegments(plan, cursor, false), limit + 1, match);
    return toPage(docs, limit, plan.orderField);
  }

  /** Deletes expired documents; returns how many. */
  async sweep(db: Queryable, now: number): Promise<number> {
    if (this.spec.ttlField === null) return 0;
    const result = await db.query(`DELETE FROM ${this.t} WHERE ${column(this.spec.ttlField)} <= $1`, [now]);
    return result.rowCount ?? 0;
  }

  /** Reads the segments in turn until `want` documents are found. */
  private async readPage(
    db: Queryable,
    plan: QueryPlan,
    values: readonly Scalar[],
    range: readonly RangeBound[],
    segments: readonly Segment[],
    want: number,
    match: string | null,
  ): Promise<Doc[]> {
    const docs: Doc[] = [];
    for (const segment of segments) {
      const params = new Params();
      const sql = this.segmentSql(plan, values, range, segment, match, want - docs.length, params);
      const { rows } = await db.query<{ doc: Doc }>(sql, params.values);
      for (const row of rows) docs.push(row.doc);
      if (docs.length >= want) break;
    }
    return docs;
  }

  private segmentSql(
    plan: QueryPlan,
    values: readonly Scalar[],
    range: readonly RangeBound[],
    segment: Segment,
    match: string | null,
    limit: number,
    params: Params,
  ): string {
    const order = column(plan.orderField);
    const after = plan.desc ? '<' : '>';
    const conditions = [this.eqSql(plan, values, params) + this.notExpired(params)];
    if (match !== null) conditions.push(`${SEARCH_COLUMN} @@ ${params.add(match)}::tsquery`);
    if (segment.kind === 'after') {
      // A row comparison is one index range, unlike the equivalent OR.
      conditions.push(
        plan.orderField === 'id'
          ? `id ${after} ${params.add(segment.id)}`
          : `(${order}, id) ${after} (${params.add(segment.value)}, ${params.add(segment.id)})`,
      );
    } else if (segment.kind === 'nullsAfter') {
      conditions.push(`${order} IS NULL AND id ${after} ${params.add(segment.id)}`);
    } else if (segment.kind === 'nulls') {
      conditions.push(`${order} IS NULL`);
    } else if (segment.kind === 'nonNull') {
      conditions.push(`${order} IS NOT NULL`);
    }
    if (segment.kind !== 'nulls' && segment.kind !== 'nullsAfter') {
      for (const bound of range) conditions.push(`${order} ${COMPARE[bound.op]} ${params.add(bound.value)}`);
    }
    // The port's order: nulls first ascending, last descending; the indexes are built that way.
    const orderBy = plan.orderField === 'id'
      ? `id ${plan.desc ? 'DESC' : 'ASC'}`
      : plan.desc
        ? `${order} DESC NULLS LAST, id DESC`
        : `${order} ASC NULLS FIRST, id ASC`;
    return `SELECT doc FROM ${this.t} WHERE ${conditions.join(' AND ')} ORDER BY ${orderBy} LIMIT ${params.add(limit)}`;
  }

  private async mapDuplicate<R>(write: Promise<R>): Promise<R> {
    try {
      return await write;
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION) {
        throw new DuplicateKeyError(this.spec.name, this.uniqueIndexes.get(error.constraint ?? '') ?? ['id']);
      }
      throw error;
    }
  }
}

/**
 * The core, with every write that changed something announced to the instance's other processes (postgres/
 * change-feed.ts): at once outside a transaction, with its commit inside one. Ids only, never what was written.
 */
class AnnouncingCore implements CollectionCore<Queryable> {
  constructor(
    private readonly core: PostgresCollectionCore,
    private readonly store: PostgresStore,
    private readonly tx: TxState | null,
  ) {}

  /** `id` null: the ids are not known (a deleteWhere), and the whole collection counts as changed. */
  private async announced<R>(id: string | null, result: R, changed: boolean): Promise<R> {
    // Nothing kept in memory is made from it (CollectionSpec.shownInAnswers), and this adapter keeps no documents.
    if (!changed || !this.core.spec.shownInAnswers) return result;
    if (this.tx !== null) addChange(this.tx.changes, this.core.spec.name, id);
    else await this.store.feed.announce(this.core.spec.name, id);
    return result;
  }

  get(id: string, db: Queryable): Promise<Doc | null> {
    return this.core.get(id, db);
  }
  getMany(ids: readonly string[], db: Queryable): Promise<Doc[]> {
    return this.core.getMany(ids, db);
  }
  async insert(doc: Doc, db: Queryable): Promise<Doc> {
    return this.announced(doc.id, await this.core.insert(doc, db), true);
  }
  async upsert(doc: Doc, db: Queryable): Promise<Doc> {
    return this.announced(doc.id, await this.core.upsert(doc, db), true);
  }
  async patch(id: string, fields: Record<string, unknown>, expected: Record<string, unknown> | undefined, db: Queryable): Promise<Doc | null> {
    const doc = await this.core.patch(id, fields, expected, db);
    return this.announced(id, doc, doc !== null);
  }
  async increment(id: string, deltas: Record<string, number | undefined>, db: Queryable): Promise<Doc | null> {
    const doc = await this.core.increment(id, deltas, db);
    return this.announced(id, doc, doc !== null);
  }
  async delete(id: string, db: Queryable): Promise<boolean> {
    const deleted = await this.core.delete(id, db);
    return this.announced(id, deleted, deleted);
  }
  async deleteWhere(where: Where<Doc>, db: Queryable): Promise<number> {
    const count = await this.core.deleteWhere(where, db);
    return this.announced(null, count, count > 0);
  }
  find(query: FindQuery<Doc>, db: Queryable): Promise<Page<Doc>> {
    return this.core.find(query, db);
  }
  findOne(where: Where<Doc>, db: Queryable): Promise<Doc | null> {
    return this.core.findOne(where, db);
  }
  count(where: Where<Doc> | undefined, db: Queryable): Promise<number> {
    return this.core.count(where, db);
  }
  search(text: string, query: SearchQuery<Doc>, db: Queryable): Promise<Page<Doc>> {
    return this.core.search(text, query, db);
  }
}

/** Where a handle's calls run: on the pool outside transactions, on the transaction's connection inside one. */
class PostgresScope implements CollectionScope<Queryable> {
  constructor(
    private readonly store: PostgresStore,
    private readonly tx: TxState | null,
  ) {}

  async run<R>(op: (db: Queryable) => R | PromiseLike<R>): Promise<R> {
    // A store call on another connection would wait for the transaction's row locks while the transaction waits for it.
    refuseOutOfScope(this.tx, () => this.store.insideOpenTransaction());
    return op(this.tx === null ? this.store.pool : this.tx.client);
  }
}

class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly declared = new Declared<PostgresCollectionCore>();
  private readonly inTransaction = new AsyncLocalStorage<TxState>();
  private readonly timer: NodeJS.Timeout | null;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    readonly feed: ChangeFeed,
    options: PostgresStoreOptions,
  ) {
    this.timer = startSweepTimer(options.sweepIntervalMs, () => this.sweepExpired(), options.onBackgroundError);
  }

  insideOpenTransaction(): boolean {
    return this.inTransaction.getStore()?.open === true;
  }

  async declare(specs: readonly AnyCollectionSpec[]): Promise<void> {
    const compiled = specs.map(compileSpec);
    await this.underDeclareLock(async (client) => {
      const textLayouts = await readTextLayouts(client);
      for (const spec of compiled) await declareCollection(client, spec, textLayouts);
    });
    this.declared.addCores(compiled.map((spec) => new PostgresCollectionCore(spec)));
  }

  async declareBlobs(specs: readonly BlobSpec[]): Promise<void> {
    await this.underDeclareLock(async (client) => {
      for (const spec of specs) await declarePostgresBlobs(client, spec);
    });
    for (const spec of specs) this.declared.addBlobs(spec, new PostgresBlobs(this.pool, spec));
  }

  /** Runs `declare` in a transaction of its own that holds DECLARE_LOCK, so processes starting together take turns. */
  private async underDeclareLock(declare: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [DECLARE_LOCK]);
      await declare(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  blobs(spec: BlobSpec): Blobs {
    return this.declared.blobs(spec);
  }

  collection<T extends Doc>(spec: CollectionSpec<T>): Collection<T> {
    return this.declared.handle(spec, (core) => new ScopedCollection(spec, new AnnouncingCore(core, this, null), new PostgresScope(this, null)));
  }

  /** A deadlock or serialization failure rolls the transaction back and runs fn again, up to MAX_TX_ATTEMPTS times. */
  async transaction<R>(fn: (tx: TxScope) => Promise<R>): Promise<R> {
    if (this.insideOpenTransaction()) throw new StoreError('transaction() cannot be nested: use the tx scope you already have');
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const state: TxState = { open: true, client, changes: new Map() };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const scope: TxScope = {
          collection: <T extends Doc>(spec: CollectionSpec<T>): Collection<T> =>
            new ScopedCollection(spec, new AnnouncingCore(this.declared.core(spec.name), this, state), new PostgresScope(this, state)),
        };
        const result = await this.inTransaction.run(state, () => fn(scope));
        state.open = false;
        await this.feed.announceIn(client, state.changes);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        state.open = false;
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          // A connection that cannot roll back is not given to the next caller.
          broken = rollbackError as Error;
        });
        if (error instanceof pg.DatabaseError && RETRYABLE.has(error.code ?? '') && attempt < MAX_TX_ATTEMPTS && broken === undefined) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  async sweepExpired(now: number = Date.now()): Promise<number> {
    let deleted = 0;
    for (const core of this.declared.allCores()) deleted += await core.sweep(this.pool, now);
    return deleted;
  }

  /** The server's clock_timestamp() (not now(), which stands still for a transaction's length). */
  async now(): Promise<number> {
    const { rows } = await this.pool.query<{ ms: string }>('SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms');
    return Number(rows[0]!.ms);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.feed.close();
    await this.pool.end();
  }
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
  // Without a listener, an idle connection's error (the server restarting) would end the process.
  pool.on('error', (error) => options.onBackgroundError?.(new StoreError('an idle PostgreSQL connection failed', { cause: error })));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    // The driver's message names the host and user, never the URL's password.
    throw new StoreError(`could not connect to PostgreSQL: ${(error as Error).message}`, { cause: error });
  }
  const feed = new ChangeFeed(pool, { url: options.url, scope: await databaseScope(pool), onError: options.onBackgroundError });
  try {
    await feed.start();
  } catch (error) {
    await feed.close();
    await pool.end().catch(() => undefined);
    throw new StoreError(`could not listen for other processes' writes on PostgreSQL: ${(error as Error).message}`, { cause: error });
  }
  return new PostgresStore(pool, feed, options);
}
