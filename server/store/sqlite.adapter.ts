/**
 * SQLite adapter (better-sqlite3). One table per collection: `id` and the JSON
 * document, a generated column per declared field (indexed as declared), and
 * an FTS5 table for text fields kept in sync by triggers. The triggers index
 * searchableText() of each text field through an application-defined SQL
 * function that openSqliteStore registers on its connection, so every write
 * (insert, upsert, patch, increment, delete, deleteWhere, the TTL sweep,
 * inside a transaction or not) keeps the text index exact by construction.
 * Another program writing to or deleting from a collection with text fields
 * (the sqlite3 shell) fails with "no such function" rather than
 * desynchronising the index.
 *
 * Deleted means gone from the bytes: secure_delete overwrites what a write
 * removes, the text index purges deleted terms from its pages, and a
 * checkpoint shortly after each removing write (and at close) copies the WAL
 * into the file and truncates it, so that neither the file nor its -wal keeps
 * deleted text beyond CHECKPOINT_DELAY_MS (see SqliteStore.scheduleCheckpoint).
 *
 * better-sqlite3 is synchronous, so every statement runs to completion before
 * the event loop moves on; only an async transaction() spans awaits, and a
 * gate makes every other caller wait for it (see Gate).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { keyConnection } from './sqlite-key.js';
import { foreignWriteSeen, registerLook } from '../core/foreign-writes.js';
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
import { declareSqliteBlobs, SqliteBlobs } from './sqlite-blobs.js';
import { incrementDeltas, patchFields } from './write-checks.js';
import { Declared } from './declared.js';
import { CHECKPOINT_DELAY_MS } from './scrub-checkpoint.js';
import { startSweepTimer } from './sweep-timer.js';
import { ScopedCollection, type Access, type CollectionCore, type CollectionScope } from './scoped-collection.js';
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

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  readonly path: string;
  /** Encrypts the file (SQLCipher 4 format); a wrong key stops the open with a DatabaseKeyError. */
  readonly key?: string | null;
  /** How often expired documents are deleted; default 60 s; null for no timer (the caller sweeps). */
  readonly sweepIntervalMs?: number | null;
  /** Called when a timed sweep or checkpoint fails (the next one retries); they are otherwise silent. */
  readonly onSweepError?: (error: unknown) => void;
  /** How long a call waits for a transaction before it is refused as a deadlock (see Gate); default 15 s. */
  readonly transactionWaitMs?: number;
  /** How soon after a write that removes or replaces data the WAL is checkpointed and truncated; default CHECKPOINT_DELAY_MS. */
  readonly checkpointDelayMs?: number;
}

type Db = Database.Database;
type Statement = Database.Statement<unknown[], unknown>;
type Bind = string | number | null;

/** Statement shapes come from code, not input, but a cap keeps a misuse from growing memory without bound. */
const MAX_CACHED_STATEMENTS = 500;

const table = (name: string): string => `"c_${name}"`;
const ftsTable = (name: string): string => `"s_${name}"`;
const column = (field: string): string => (field === 'id' ? 'id' : `"x_${field}"`);
const ftsColumn = (field: string): string => `"t_${field}"`;
const jsonPath = (field: string): string => `'$.${field}'`;
/**
 * The SQL function the text index triggers call. Its name carries the version of searchableText and of ICU, whose
 * word breaking it uses: deleting from a contentless index takes the very values that were indexed, so an index made
 * by another version (a Node upgrade brings another ICU) is rebuilt rather than given different values at deletion.
 */
const SEARCH_TEXT_FUNCTION = `parasol_search_text_v${SEARCH_TEXT_VERSION}_${SEARCH_TEXT_ICU}`;


/** SQLite has no boolean type: json_extract yields 1/0, so bound booleans must too. */
function bindValue(value: Scalar): Bind {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

const COMPARE: Record<RangeBound['op'], string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * Serialises the async transaction against every other store call. `busy`
 * is the only thing an uncontended call checks. A call that waits longer
 * than `maxWaitMs` is refused: a transaction here lasts milliseconds, so such
 * a wait is a call made inside transaction(fn) on the store itself, or a
 * nested transaction, which would otherwise wait for the transaction forever
 * while the transaction waits for it. (AsyncLocalStorage could tell such a
 * call at once, but on Node 20 it puts a hook on every promise the process
 * makes, which cost a twentieth of an inbound activity.)
 */
class Gate {
  busy = false;
  private readonly waiting: { resolve: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(private readonly maxWaitMs: number) {}

  acquire(): Promise<void> | undefined {
    if (!this.busy) {
      this.busy = true;
      return undefined;
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(
            new StoreError(
              `waited ${this.maxWaitMs} ms for a transaction to finish: inside transaction(fn), use its tx scope; nested transactions and calls on the store itself wait for it forever`,
            ),
          );
        }, this.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Hands the gate to the next waiter, in arrival order. */
  release(): void {
    const next = this.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve();
    } else {
      this.busy = false;
    }
  }
}

interface TxState {
  open: boolean;
}

/** The synchronous operations on one collection, with its cached statements. */
class SqliteCollectionCore implements CollectionCore<SqliteScope> {
  private readonly statements = new Map<string, Statement>();
  private readonly notExpired: string;
  private readonly t: string;
  /** Documents kept for get() (see CollectionSpec.memoryCache), as JSON so that each read gets its own copy; least recently read first. */
  private readonly kept = new Map<string, string>();

  constructor(
    private readonly db: Db,
    readonly spec: CompiledSpec,
    /** Called after a write that may have removed or replaced data, which the WAL still holds until a checkpoint. */
    private readonly onRemoval: () => void,
  ) {
    this.t = table(spec.name);
    this.notExpired = this.expirySql('');
  }

  /** The condition hiding expired documents (empty without a TTL field); binds `now`. */
  private expirySql(alias: string): string {
    if (this.spec.ttlField === null) return '';
    const ttl = `${alias}${column(this.spec.ttlField)}`;
    return ` AND (${ttl} IS NULL OR ${ttl} > ?)`;
  }

  private statement(key: string, sql: () => string, pluck = true): Statement {
    let statement = this.statements.get(key);
    if (statement === undefined) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      statement = this.db.prepare<unknown[], unknown>(sql());
      if (pluck && statement.reader) statement.pluck();
      this.statements.set(key, statement);
    }
    return statement;
  }

  /** The bound `now` of the expiry filter, when the collection has one. */
  private ttlParams(): Bind[] {
    return this.spec.ttlField === null ? [] : [Date.now()];
  }

  /** get() for a handle: through the documents kept in memory when its scope reads them. */
  get(id: string, scope: SqliteScope): Doc | null {
    return scope.readsKept() ? this.getKept(id) : this.read(id);
  }

  private read(id: string): Doc | null {
    const json = this.readJson(id);
    return json === undefined ? null : (JSON.parse(json) as Doc);
  }

  private readJson(id: string): string | undefined {
    return this.statement('get', () => `SELECT doc FROM ${this.t} WHERE id = ?${this.notExpired}`).get(id, ...this.ttlParams()) as string | undefined;
  }

  /**
   * read() through the documents kept in memory. Only outside transactions: a
   * document read inside one may be rolled back, so it is never kept.
   */
  private getKept(id: string): Doc | null {
    const json = this.kept.get(id) ?? this.readJson(id);
    if (json === undefined) return null;
    this.keep(id, json);
    return JSON.parse(json) as Doc;
  }

  /** Keeps a document as the most recently read, making room by dropping the least recently read. */
  private keep(id: string, json: string): void {
    if (!this.kept.delete(id) && this.kept.size >= this.spec.memoryCache) this.kept.delete(this.kept.keys().next().value as string);
    this.kept.set(id, json);
  }

  /** Drops documents kept in memory: one that is being written, or all. */
  forget(id: string | null): void {
    if (id === null) this.kept.clear();
    else this.kept.delete(id);
  }

  getMany(ids: readonly string[], scope: SqliteScope): Doc[] {
    return scope.readsKept() ? this.getManyKept(ids) : this.fromJson(ids, this.readJsons(ids));
  }

  private readJsons(ids: readonly string[]): Map<string, string> {
    if (ids.length === 0) return new Map();
    const rows = this.statement(
      'getMany',
      () => `SELECT id, doc FROM ${this.t} WHERE id IN (SELECT value FROM json_each(?))${this.notExpired}`,
      false,
    ).all(JSON.stringify(ids), ...this.ttlParams()) as { id: string; doc: string }[];
    return new Map(rows.map((row) => [row.id, row.doc]));
  }

  /** The documents of `ids` that were found, in the order of `ids`. */
  private fromJson(ids: readonly string[], found: ReadonlyMap<string, string>): Doc[] {
    const docs: Doc[] = [];
    for (const id of ids) {
      const json = found.get(id);
      if (json !== undefined) docs.push(JSON.parse(json) as Doc);
    }
    return docs;
  }

  /** getMany() through the documents kept in memory, as getKept(). */
  private getManyKept(ids: readonly string[]): Doc[] {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of ids) {
      const json = this.kept.get(id);
      if (json === undefined) missing.push(id);
      else found.set(id, json);
    }
    for (const [id, json] of this.readJsons(missing)) {
      found.set(id, json);
      this.keep(id, json);
    }
    return this.fromJson(ids, found);
  }

  insert(doc: Doc): Doc {
    assertDocId(this.spec.name, doc.id);
    const json = JSON.stringify(doc);
    this.forget(doc.id);
    this.writeClearingExpired(() =>
      this.statement('insert', () => `INSERT INTO ${this.t} (id, doc) VALUES (?, ?)`).run(doc.id, json),
    );
    return JSON.parse(json) as Doc;
  }

  upsert(doc: Doc): Doc {
    assertDocId(this.spec.name, doc.id);
    const json = JSON.stringify(doc);
    this.forget(doc.id);
    // ON CONFLICT DO UPDATE keeps the rowid, which the FTS table is keyed on; INSERT OR REPLACE would not.
    this.writeClearingExpired(() =>
      this.statement(
        'upsert',
        () => `INSERT INTO ${this.t} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
      ).run(doc.id, json),
    );
    this.onRemoval();
    return JSON.parse(json) as Doc;
  }

  patch(id: string, fields: Record<string, unknown>, expected: Record<string, unknown> = {}): Doc | null {
    const { set: changes, remove } = patchFields(this.spec, id, fields);
    const set = changes.map(([field]) => field);
    const params: Bind[] = changes.map(([, value]) => JSON.stringify(value));
    const conditions = Object.entries(expected).map(([field, value]) => this.condition(field, value));
    const conditionParams = conditions.flatMap((c) => c.params);
    if (set.length === 0 && remove.length === 0 && conditions.length === 0) return this.read(id);
    const key = `patch|${set.join(',')}|${remove.join(',')}|${conditions.map((c) => c.sql).join(',')}`;
    const statement = this.statement(key, () => {
      let expression = 'doc';
      if (set.length > 0) expression = `json_set(${expression}, ${set.map((f) => `${jsonPath(f)}, json(?)`).join(', ')})`;
      if (remove.length > 0) expression = `json_remove(${expression}, ${remove.map(jsonPath).join(', ')})`;
      const matches = conditions.map((c) => ` AND ${c.sql}`).join('');
      return `UPDATE ${this.t} SET doc = ${expression} WHERE id = ?${matches}${this.notExpired} RETURNING doc`;
    });
    this.forget(id);
    const json = this.writeClearingExpired(() => statement.get(...params, id, ...conditionParams, ...this.ttlParams()));
    if (json !== undefined) this.onRemoval();
    return json === undefined ? null : (JSON.parse(json as string) as Doc);
  }

  /**
   * Equality of one field with a scalar for patchIf, by JSON type so that true never equals 1 and '1' never
   * equals 1; null matches a JSON null and a missing field.
   */
  private condition(field: string, value: unknown): { sql: string; params: Bind[] } {
    if (field !== 'id') assertFieldName(this.spec.name, field);
    const type = field === 'id' ? `'text'` : `json_type(doc, ${jsonPath(field)})`;
    const extracted = field === 'id' ? 'id' : `json_extract(doc, ${jsonPath(field)})`;
    if (value === undefined) throw new StoreError(`the expected ${this.spec.name}.${field} is undefined: give null or leave it out`);
    if (value === null) return { sql: `coalesce(${type}, 'null') = 'null'`, params: [] };
    if (typeof value === 'boolean') return { sql: `coalesce(${type}, '') = '${value ? 'true' : 'false'}'`, params: [] };
    if (typeof value === 'string') return { sql: `(${type} = 'text' AND ${extracted} = ?)`, params: [value] };
    if (typeof value === 'number' && Number.isFinite(value)) return { sql: `(${type} IN ('integer', 'real') AND ${extracted} = ?)`, params: [value] };
    throw new StoreError(`the expected ${this.spec.name}.${field} must be a string, a finite number, a boolean or null`);
  }

  increment(id: string, deltas: Record<string, number | undefined>): Doc | null {
    const checked = incrementDeltas(this.spec, deltas);
    const fields = checked.map(([field]) => field);
    const params: Bind[] = checked.map(([, delta]) => delta);
    if (fields.length === 0) return this.read(id);
    const statement = this.statement(`inc|${fields.join(',')}`, () => {
      const sets = fields.map((f) => `${jsonPath(f)}, coalesce(json_extract(doc, ${jsonPath(f)}), 0) + ?`);
      return `UPDATE ${this.t} SET doc = json_set(doc, ${sets.join(', ')}) WHERE id = ?${this.notExpired} RETURNING doc`;
    });
    this.forget(id);
    const json = this.writeClearingExpired(() => statement.get(...params, id, ...this.ttlParams()));
    return json === undefined ? null : (JSON.parse(json as string) as Doc);
  }

  delete(id: string): boolean {
    const statement = this.statement('delete', () => `DELETE FROM ${this.t} WHERE id = ?${this.notExpired}`);
    this.forget(id);
    const deleted = statement.run(id, ...this.ttlParams()).changes > 0;
    if (deleted) this.onRemoval();
    return deleted;
  }

  deleteWhere(where: Where<Doc>): number {
    const plan = planQuery(this.spec, where, undefined, true);
    if (plan.eq.length === 0) throw new StoreError(`deleteWhere on ${this.spec.name} needs at least one field`);
    const values = whereValues(this.spec, plan, where);
    const statement = this.statement(`dw|${plan.key}`, () => `DELETE FROM ${this.t} WHERE ${this.eqSql(plan)}${this.notExpired}`);
    this.forget(null);
    const deleted = statement.run(...values.map(bindValue), ...this.ttlParams()).changes;
    if (deleted > 0) this.onRemoval();
    return deleted;
  }

  count(where: Where<Doc> | undefined): number {
    const plan = planQuery(this.spec, where, undefined, true);
    const values = whereValues(this.spec, plan, where);
    const statement = this.statement(`count|${plan.key}`, () => `SELECT count(*) FROM ${this.t} WHERE ${this.eqSql(plan)}${this.notExpired}`);
    return statement.get(...values.map(bindValue), ...this.ttlParams()) as number;
  }

  findOne(where: Where<Doc>): Doc | null {
    const plan = planQuery(this.spec, where, undefined, true);
    const docs = this.readPage(plan, whereValues(this.spec, plan, where), [], [{ kind: 'start' }], 1, null);
    return docs[0] ?? null;
  }

  find(query: FindQuery<Doc>): Page<Doc> {
    const plan = planQuery(this.spec, query.where, query.orderBy);
    const values = whereValues(this.spec, plan, query.where);
    const limit = resolveLimit(query.limit);
    const range = rangeBounds(this.spec, plan, query.range, query.orderBy !== undefined);
    const cursor = decodeCursor(this.spec, plan, query.after);
    const docs = this.readPage(plan, values, range, pageSegments(plan, cursor, range.length > 0), limit + 1, null);
    return toPage(docs, limit, plan.orderField);
  }

  search(text: string, query: SearchQuery<Doc>): Page<Doc> {
    const plan = planSearch(this.spec, query.where, query.orderBy);
    const values = whereValues(this.spec, plan, query.where);
    const limit = resolveLimit(query.limit);
    const cursor = decodeCursor(this.spec, plan, query.after);
    const terms = searchTerms(text);
    if (terms.length === 0) return { items: [], next: null };
    // Each term is a quoted FTS5 string: punctuation in it cannot become query syntax, and terms are ANDed.
    const match = terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' ');
    const docs = this.readPage(plan, values, [], pageSegments(plan, cursor, false), limit + 1, match);
    return toPage(docs, limit, plan.orderField);
  }

  /** Deletes expired documents; returns how many. */
  sweep(now: number): number {
    if (this.spec.ttlField === null) return 0;
    const statement = this.statement('sweep', () => `DELETE FROM ${this.t} WHERE ${column(this.spec.ttlField as string)} <= ?`);
    const deleted = statement.run(now).changes;
    if (deleted > 0) this.onRemoval();
    return deleted;
  }

  private eqSql(plan: QueryPlan, alias = ''): string {
    // IS rather than = so that a null value matches null and missing fields, as in MongoDB; SQLite indexes serve IS.
    if (plan.eq.length === 0) return '1';
    return plan.eq.map((field) => `${alias}${column(field)} IS ?`).join(' AND ');
  }

  /** Reads the segments in turn until `want` documents are found. */
  private readPage(
    plan: QueryPlan,
    values: Scalar[],
    range: RangeBound[],
    segments: readonly Segment[],
    want: number,
    match: string | null,
  ): Doc[] {
    const docs: Doc[] = [];
    for (const segment of segments) {
      const statement = this.segmentStatement(plan, range, segment, match !== null);
      const params: Bind[] = match === null ? [] : [match];
      params.push(...values.map(bindValue), ...this.ttlParams());
      if (segment.kind === 'after') {
        params.push(bindValue(segment.value));
        if (plan.orderField !== 'id') params.push(segment.id);
      } else if (segment.kind === 'nullsAfter') {
        params.push(segment.id);
      }
      if (segment.kind !== 'nulls' && segment.kind !== 'nullsAfter') params.push(...range.map((bound) => bindValue(bound.value)));
      params.push(want - docs.length);
      for (const json of statement.all(...params)) docs.push(JSON.parse(json as string) as Doc);
      if (docs.length >= want) break;
    }
    return docs;
  }

  private segmentStatement(plan: QueryPlan, range: RangeBound[], segment: Segment, searching: boolean): Statement {
    const rangeKey = range.map((bound) => bound.op).join(',');
    return this.statement(`page|${plan.key}|${segment.kind}|${rangeKey}|${searching ? 's' : ''}`, () => {
      const alias = searching ? 'c.' : '';
      const order = `${alias}${column(plan.orderField)}`;
      const id = `${alias}id`;
      const dir = plan.desc ? 'DESC' : 'ASC';
      const after = plan.desc ? '<' : '>';
      const conditions: string[] = [];
      if (searching) conditions.push(`${ftsTable(this.spec.name)} MATCH ?`);
      conditions.push(this.eqSql(plan, alias) + this.expirySql(alias));
      if (segment.kind === 'after') {
        // A row value comparison is one index range, unlike the equivalent OR.
        conditions.push(plan.orderField === 'id' ? `${id} ${after} ?` : `(${order}, ${id}) ${after} (?, ?)`);
      } else if (segment.kind === 'nullsAfter') {
        conditions.push(`${order} IS NULL AND ${id} ${after} ?`);
      } else if (segment.kind === 'nulls') {
        conditions.push(`${order} IS NULL`);
      } else if (segment.kind === 'nonNull') {
        conditions.push(`${order} IS NOT NULL`);
      }
      if (segment.kind !== 'nulls' && segment.kind !== 'nullsAfter') {
        for (const bound of range) conditions.push(`${order} ${COMPARE[bound.op]} ?`);
      }
      const from = searching
        ? `${ftsTable(this.spec.name)} JOIN ${this.t} AS c ON c.rowid = ${ftsTable(this.spec.name)}.rowid`
        : this.t;
      const orderBy = plan.orderField === 'id' ? `${id} ${dir}` : `${order} ${dir}, ${id} ${dir}`;
      return `SELECT ${alias}doc FROM ${from} WHERE ${conditions.join(' AND ')} ORDER BY ${orderBy} LIMIT ?`;
    });
  }

  /**
   * Runs a write, mapping unique violations to DuplicateKeyError. An expired
   * document is invisible, so it must not block a new one: on a clash in a
   * TTL collection the expired documents are swept and the write retried once.
   */
  private writeClearingExpired<R>(write: () => R): R {
    try {
      return write();
    } catch (error) {
      const duplicate = this.toDuplicateKeyError(error);
      if (duplicate === null) throw error;
      if (this.spec.ttlField !== null && this.sweep(Date.now()) > 0) {
        try {
          return write();
        } catch (retryError) {
          throw this.toDuplicateKeyError(retryError) ?? retryError;
        }
      }
      throw duplicate;
    }
  }

  private toDuplicateKeyError(error: unknown): DuplicateKeyError | null {
    if (!(error instanceof Database.SqliteError)) return null;
    if (error.code !== 'SQLITE_CONSTRAINT_UNIQUE' && error.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
    // "UNIQUE constraint failed: c_users.x_handle, c_users.x_server"
    const columns = error.message.slice(error.message.indexOf(':') + 1).split(',');
    const fields = columns.map((qualified) => {
      const name = qualified.trim().split('.').pop() ?? '';
      return name.startsWith('x_') ? name.slice(2) : name;
    });
    return new DuplicateKeyError(this.spec.name, fields);
  }
}

/**
 * Creates or migrates a collection's table, columns, indexes and text index. Idempotent. Returns whether it replaced
 * a text index of a layout that kept deleted terms (see declareTextIndex).
 */
function declareCollection(db: Db, spec: CompiledSpec): boolean {
  const t = table(spec.name);
  // Untyped (no affinity) so values compare by their JSON type, as MongoDB compares BSON types.
  const generated = (field: string): string => `${column(field)} GENERATED ALWAYS AS (json_extract(doc, ${jsonPath(field)})) VIRTUAL`;
  const fields = [...spec.fieldTypes.keys()].filter((field) => field !== 'id');
  const existing = new Set(
    (db.prepare(`PRAGMA table_xinfo(${t})`).all() as { name: string }[]).map((row) => row.name),
  );
  if (existing.size === 0) {
    // A new table gets its columns in one statement: an ALTER TABLE per column rewrote the whole schema each time,
    // most of the time a new instance spent making its database.
    db.exec(`CREATE TABLE ${t} (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL${fields.map((field) => `, ${generated(field)}`).join('')})`);
  } else {
    for (const field of fields) {
      if (!existing.has(`x_${field}`)) db.exec(`ALTER TABLE ${t} ADD COLUMN ${generated(field)}`);
    }
  }
  for (const index of spec.indexes) {
    // A unique index takes only its fields: with the id appended every row would be unique.
    const columns = [...index.fields.map(column), ...(index.unique || index.fields.includes('id') ? [] : ['id'])];
    db.exec(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS "${spec.name}__${index.name}" ON ${t} (${columns.join(', ')})`,
    );
  }
  if (spec.ttlField !== null) {
    db.exec(`CREATE INDEX IF NOT EXISTS "${spec.name}__ttl" ON ${t} (${column(spec.ttlField)})`);
  }
  return declareTextIndex(db, spec);
}

/**
 * The FTS5 table is contentless (the text lives in the JSON document) and
 * keyed on the table's rowid. It indexes searchableText() of each text field,
 * which puts spaces between the words of scripts written without them
 * (Chinese, Japanese, Thai, Lao, Khmer, Burmese), as searchTerms() does to the
 * query. Tokenizer: unicode61 with diacritics removed, the closest match to
 * MongoDB's diacritic-insensitive text index with language "none". The
 * trigram tokenizer would find substrings but not words under three
 * characters, which most CJK words are, and would diverge from MongoDB.
 *
 * Deleted words must leave the index's pages, not only its results. A
 * contentless_delete=1 table only marks deleted rows and keeps their terms in
 * its segments, whatever FTS5's secure-delete option says; so the table is a
 * plain contentless one with secure-delete on, and the delete and update
 * triggers give FTS5's 'delete' command the old row's values, computed by the
 * same function from the same document as when they were indexed (FTS5 needs
 * exactly those to find the entries to remove). The price is paid by
 * deletions and text edits only: FTS5 rewrites a page per distinct term of the
 * old text, so they cost far more than before; inserts, counters and reads
 * cost the same.
 *
 * The layout is recognised by its columns, by its definition and by the
 * function its insert and delete triggers call; anything else (no text index
 * yet, other text fields, a contentless_delete index, a text index made before
 * segmenting or by another SEARCH_TEXT_VERSION or ICU) is dropped and rebuilt
 * from the stored documents. Returns whether the dropped index was a
 * contentless_delete one: the file then holds deleted text from before
 * secure_delete too, which the caller purges.
 */
function declareTextIndex(db: Db, spec: CompiledSpec): boolean {
  const t = table(spec.name);
  const fts = ftsTable(spec.name);
  const wanted = spec.textFields.map((field) => `t_${field}`);
  const current = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(`s_${spec.name}`) as { name: string }[]).map(
    (row) => row.name,
  );
  const schemaSql = db.prepare(`SELECT sql FROM sqlite_schema WHERE name = ?`).pluck();
  const tableSql = schemaSql.get(`s_${spec.name}`) as string | undefined;
  const keptDeletedTerms = tableSql?.includes('contentless_delete') === true;
  const callsFunction = (trigger: string): boolean =>
    (schemaSql.get(`s_${spec.name}_${trigger}`) as string | undefined)?.includes(`${SEARCH_TEXT_FUNCTION}(`) === true;
  const upToDate = current.join(',') === wanted.join(',') && !keptDeletedTerms && callsFunction('ai') && callsFunction('ad');
  if (upToDate && wanted.length > 0) return false;
  for (const suffix of ['ai', 'ad', 'au']) db.exec(`DROP TRIGGER IF EXISTS "s_${spec.name}_${suffix}"`);
  db.exec(`DROP TABLE IF EXISTS ${fts}`);
  if (wanted.length === 0) return keptDeletedTerms;

  const columns = spec.textFields.map(ftsColumn).join(', ');
  const values = (row: string): string =>
    spec.textFields.map((f) => `${SEARCH_TEXT_FUNCTION}(json_extract(${row}.doc, ${jsonPath(f)}))`).join(', ');
  const remove = `INSERT INTO ${fts} (${fts}, rowid, ${columns}) VALUES ('delete', old.rowid, ${values('old')});`;
  db.exec(`CREATE VIRTUAL TABLE ${fts} USING fts5(${columns}, content='', tokenize='unicode61 remove_diacritics 2')`);
  db.exec(`INSERT INTO ${fts} (${fts}, rank) VALUES ('secure-delete', 1)`);
  db.exec(`CREATE TRIGGER "s_${spec.name}_ai" AFTER INSERT ON ${t} BEGIN
    INSERT INTO ${fts} (rowid, ${columns}) VALUES (new.rowid, ${values('new')}); END`);
  db.exec(`CREATE TRIGGER "s_${spec.name}_ad" AFTER DELETE ON ${t} BEGIN ${remove} END`);
  // Only when a text field changed: counters incremented on every view must not rewrite the text index.
  const changed = spec.textFields
    .map((f) => `json_extract(old.doc, ${jsonPath(f)}) IS NOT json_extract(new.doc, ${jsonPath(f)})`)
    .join(' OR ');
  db.exec(`CREATE TRIGGER "s_${spec.name}_au" AFTER UPDATE OF doc ON ${t} WHEN ${changed} BEGIN
    ${remove}
    INSERT INTO ${fts} (rowid, ${columns}) VALUES (new.rowid, ${values('new')}); END`);
  db.exec(`INSERT INTO ${fts} (rowid, ${columns}) SELECT rowid, ${values(t)} FROM ${t}`);
  // The rebuild may have written several segments; one is read faster.
  db.exec(`INSERT INTO ${fts} (${fts}) VALUES ('optimize')`);
  return keptDeletedTerms;
}

/**
 * searchableText for SQL: text fields that hold strings are segmented; other
 * values (numbers, JSON text of arrays and objects) are indexed as before.
 */
function searchTextSql(value: unknown): unknown {
  return typeof value === 'string' ? searchableText(value) : value;
}

/** Where a handle's calls run: outside a transaction it waits at the gate; inside one it checks the transaction is still open. */
class SqliteScope implements CollectionScope<SqliteScope> {
  constructor(
    private readonly core: SqliteCollectionCore,
    private readonly store: SqliteStore,
    private readonly tx: TxState | null,
  ) {}

  /**
   * Whether get() and getMany() go through the documents kept in memory: outside transactions, for collections
   * that keep any. Dropping what another process changed happens here, just before such a read.
   */
  readsKept(): boolean {
    if (this.tx !== null || this.core.spec.memoryCache === 0) return false;
    this.store.forgetForeignWrites();
    return true;
  }

  /** The core is synchronous, so `op` has its result before the gate opens again. */
  run<R>(op: (scope: SqliteScope) => R | PromiseLike<R>, access: Access): Promise<R> {
    const call = access === 'read' ? () => op(this) : () => this.written(() => op(this));
    if (this.tx !== null) {
      if (!this.tx.open) return Promise.reject(new StoreError('this transaction has already finished'));
    } else if (this.store.gate.busy) {
      return this.store.afterTransaction(call);
    }
    try {
      return Promise.resolve(call()) as Promise<R>;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** A write: other stores of this process on the same file must look again. */
  private written<R>(op: () => R): R {
    try {
      return op();
    } finally {
      this.store.noteWrite(this.core.spec.name);
    }
  }
}

/** Writes made by any SQLite store of this process (see SqliteStore.noteWrite). */
let writeEpoch = 0;

/** Which collections were written last, for other processes on the file (see SqliteStore.forgetForeignWrites). */
const WRITES_TABLE = 'parasol_writes';
/** Not a collection name (those are lower-case letters, digits and underscores): a change to the schema. */
const EVERY_COLLECTION = '*';

class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly gate: Gate;
  private readonly declared = new Declared<SqliteCollectionCore>();
  private readonly timer: NodeJS.Timeout | null;
  private closed = false;
  private readonly checkpointDelayMs: number;
  /** The pending checkpoint after a removing write, if any (see scheduleCheckpoint). */
  private checkpointTimer: NodeJS.Timeout | null = null;
  /** Changes when another connection (the CLI, say) commits; this connection's own commits leave it as is. */
  private readonly dataVersion: Statement;
  private seenDataVersion: unknown;
  /**
   * Whether dataVersion was read in this turn of the event loop. Reading it takes a read lock on the WAL (a
   * twentieth of a federated reply's cost when done for every kept document); once a turn, another process's
   * commit shows from the next turn on, as if it had come a moment later.
   */
  private versionReadThisTurn = false;
  /** The writes of this process (writeEpoch) up to which this store has looked at dataVersion. */
  private seenEpoch = writeEpoch;
  /** Stops the response caches asking this store about other processes' writes (see core/foreign-writes.ts). */
  private readonly unregisterLook: () => void;
  /** Marks a collection as written (a random number: the table tells nothing of how much was written). */
  private readonly markWrite: Statement;
  private readonly readMarks: Database.Statement<[], { name: string; mark: unknown }>;
  /** Each collection's mark as this store last saw or set it. */
  private readonly seenMarks = new Map<string, unknown>();

  constructor(
    private readonly db: Db,
    private readonly options: SqliteStoreOptions,
  ) {
    // FAST would leave removed content in pages put on the freelist; MEMORY keeps sorts and temporary tables off the disk.
    db.pragma('secure_delete = ON');
    db.pragma('temp_store = MEMORY');
    // A WAL reused after a checkpoint is cut back to nothing rather than keeping stale frames past its new end.
    db.pragma('journal_size_limit = 0');
    this.checkpointDelayMs = options.checkpointDelayMs ?? CHECKPOINT_DELAY_MS;
    if (!Number.isFinite(this.checkpointDelayMs) || this.checkpointDelayMs < 0) {
      throw new StoreError('checkpointDelayMs must be a non-negative number');
    }
    db.exec(`CREATE TABLE IF NOT EXISTS ${WRITES_TABLE} (name TEXT PRIMARY KEY, mark INTEGER NOT NULL) WITHOUT ROWID`);
    this.markWrite = db.prepare(
      `INSERT INTO ${WRITES_TABLE} (name, mark) VALUES (?, random()) ON CONFLICT (name) DO UPDATE SET mark = excluded.mark RETURNING mark`,
    ).pluck();
    this.readMarks = db.prepare<[], { name: string; mark: unknown }>(`SELECT name, mark FROM ${WRITES_TABLE}`);
    // A WAL left by a crash may hold frames of deleted data.
    this.checkpoint();
    this.dataVersion = db.prepare<unknown[], unknown>('PRAGMA data_version').pluck();
    this.seenDataVersion = this.dataVersion.get();
    for (const row of this.readMarks.all()) this.seenMarks.set(row.name, row.mark);
    const wait = options.transactionWaitMs ?? 15_000;
    if (!Number.isFinite(wait) || wait <= 0) throw new StoreError('transactionWaitMs must be a positive number');
    this.gate = new Gate(wait);
    this.timer = startSweepTimer(options.sweepIntervalMs, () => this.sweepExpired(), options.onSweepError);
    this.unregisterLook = registerLook(() => this.forgetForeignWrites());
  }

  /**
   * When another process has written to the file since the last look, drops the documents kept in memory of the
   * collections it wrote, and tells the response caches to drop theirs unless no answer shows those collections,
   * and the services keeping a copy of those collections to read them again (core/foreign-writes.ts).
   */
  forgetForeignWrites(): void {
    if (this.versionReadThisTurn && this.seenEpoch === writeEpoch) return;
    if (!this.versionReadThisTurn) {
      this.versionReadThisTurn = true;
      setImmediate(() => {
        this.versionReadThisTurn = false;
      });
    }
    this.seenEpoch = writeEpoch;
    const version = this.dataVersion.get();
    if (version === this.seenDataVersion) return;
    this.seenDataVersion = version;
    // Read after data_version: a commit in between is dropped now and looked at again at the next change. A change
    // that marked nothing is a checkpoint (it moves data_version, not a document) or a write whose mark is about to
    // commit, which the next look sees: every write of this code marks what it wrote, so writing to the file by
    // other means while Parasol runs is not supported.
    let shown = false;
    let unknown = false;
    const written: string[] = [];
    for (const { name, mark } of this.readMarks.all()) {
      if (this.seenMarks.get(name) === mark) continue;
      this.seenMarks.set(name, mark);
      const core = name === EVERY_COLLECTION ? undefined : this.declared.coreIfDeclared(name);
      if (core === undefined) {
        for (const each of this.declared.allCores()) each.forget(null);
        shown = true;
        if (name === EVERY_COLLECTION) unknown = true;
        else written.push(name);
        continue;
      }
      core.forget(null);
      written.push(name);
      shown ||= core.spec.shownInAnswers;
    }
    if (unknown || written.length > 0) foreignWriteSeen(unknown ? null : written, shown);
  }

  /**
   * Counts a write of this store. Another store of this process on the same file (two in one process happen in
   * tests) then reads dataVersion at its next read, within the same turn: in one process, a write and a read
   * after it can be in one turn. A write to a collection also marks it in WRITES_TABLE, after the write (in its
   * transaction, or as a commit of its own before the writer's answer), so that other processes drop what they
   * keep of that collection only.
   */
  noteWrite(collection?: string): void {
    if (collection !== undefined) this.seenMarks.set(collection, this.markWrite.get(collection));
    const upToDate = this.seenEpoch === writeEpoch;
    writeEpoch++;
    if (upToDate) this.seenEpoch = writeEpoch;
  }

  /**
   * Asks for a checkpoint within checkpointDelayMs: a removing write leaves the removed data in earlier WAL frames
   * (secure_delete clears only the pages it writes), and TRUNCATE copies the WAL into the file and empties it.
   * Writes until then share the checkpoint. It runs once no transaction holds the gate; one that cannot finish
   * (another process reading) is asked for again.
   */
  scheduleCheckpoint(): void {
    if (this.checkpointTimer !== null || this.closed) return;
    this.checkpointTimer = setTimeout(() => {
      this.whenFree(() => {
        this.checkpointTimer = null;
        if (!this.closed && !this.checkpoint()) this.scheduleCheckpoint();
      }).catch((error: unknown) => {
        this.checkpointTimer = null;
        this.options.onSweepError?.(error);
        this.scheduleCheckpoint();
      });
    }, this.checkpointDelayMs);
    this.checkpointTimer.unref();
  }

  /**
   * Checkpoints the whole WAL and truncates it to nothing; returns whether it did. It does not wait for another
   * process's readers (which would block the event loop for busy_timeout): the caller asks again later.
   */
  private checkpoint(): boolean {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result?.busy === 0;
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')) return false;
      throw error;
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /** Runs a synchronous operation once no transaction holds the gate. */
  async afterTransaction<R>(op: () => R | PromiseLike<R>): Promise<R> {
    await this.gate.acquire();
    try {
      return op();
    } finally {
      this.gate.release();
    }
  }

  private whenFree<R>(op: () => R): Promise<R> {
    if (this.gate.busy) return this.afterTransaction(op);
    try {
      return Promise.resolve(op());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async declare(specs: readonly AnyCollectionSpec[]): Promise<void> {
    const compiled = specs.map(compileSpec);
    await this.whenFree(() => {
      const replacedLeakyIndex = this.db.transaction(() =>
        compiled.map((spec) => declareCollection(this.db, spec)).includes(true),
      )();
      if (replacedLeakyIndex) {
        // A file from before secure_delete keeps deleted rows in free pages and in the free space of live ones;
        // VACUUM rewrites it with live content only. Once, at the upgrade. Its working copy goes to a temporary
        // file (live content only, deleted at once): in memory it would take as much as the whole database.
        this.db.pragma('temp_store = FILE');
        try {
          this.db.exec('VACUUM');
        } finally {
          this.db.pragma('temp_store = MEMORY');
        }
        this.checkpoint();
      }
      const onRemoval = (): void => this.scheduleCheckpoint();
      this.declared.addCores(compiled.map((spec) => new SqliteCollectionCore(this.db, spec, onRemoval)));
      this.noteWrite(EVERY_COLLECTION);
    });
  }

  async declareBlobs(specs: readonly BlobSpec[]): Promise<void> {
    await this.whenFree(() => {
      this.db.transaction(() => {
        for (const spec of specs) declareSqliteBlobs(this.db, spec);
      })();
      const runner = {
        run: <R>(op: () => R, access: 'read' | 'write' | 'remove'): Promise<R> =>
          this.whenFree(() => {
            if (access === 'read') return op();
            try {
              return op();
            } finally {
              this.noteWrite();
              if (access === 'remove') this.scheduleCheckpoint();
            }
          }),
      };
      for (const spec of specs) this.declared.addBlobs(spec, new SqliteBlobs(this.db, spec, runner));
    });
  }

  blobs(spec: BlobSpec): Blobs {
    return this.declared.blobs(spec);
  }

  collection<T extends Doc>(spec: CollectionSpec<T>): Collection<T> {
    return this.declared.handle(spec, (core) => this.handle(spec, core, null));
  }

  private handle<T extends Doc>(spec: CollectionSpec<T>, core: SqliteCollectionCore, tx: TxState | null): Collection<T> {
    return new ScopedCollection(spec, core, new SqliteScope(core, this, tx));
  }

  async transaction<R>(fn: (tx: TxScope) => Promise<R>): Promise<R> {
    await this.gate.acquire();
    const state: TxState = { open: true };
    try {
      // IMMEDIATE takes the write lock now, so another process cannot make the commit fail with SQLITE_BUSY.
      this.db.exec('BEGIN IMMEDIATE');
      const scope: TxScope = {
        collection: <T extends Doc>(spec: CollectionSpec<T>): Collection<T> =>
          this.handle(spec, this.declared.core(spec.name), state),
      };
      const result = await fn(scope);
      state.open = false;
      this.db.exec('COMMIT');
      this.noteWrite();
      return result;
    } catch (error) {
      state.open = false;
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.gate.release();
    }
  }

  /**
   * The clock of the machine the file is on: every process that can open the file (SQLite needs a local disk
   * for WAL) runs on that machine and reads the same clock, so no query is needed to agree on it.
   */
  now(): Promise<number> {
    return Promise.resolve(Date.now());
  }

  sweepExpired(now: number = Date.now()): Promise<number> {
    return this.whenFree(() => {
      let deleted = 0;
      for (const core of this.declared.allCores()) {
        const swept = core.sweep(now);
        if (swept > 0) this.noteWrite(core.spec.name);
        deleted += swept;
      }
      return deleted;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unregisterLook();
    if (this.timer !== null) clearInterval(this.timer);
    if (this.checkpointTimer !== null) clearTimeout(this.checkpointTimer);
    await this.gate.acquire();
    try {
      this.checkpoint();
    } finally {
      this.db.close();
      this.gate.release();
    }
  }
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = new Database(options.path);
  try {
    keyConnection(db, options.key ?? null, options.path);
    // Before anything else: every write to a collection with text fields runs it (see declareTextIndex).
    db.function(SEARCH_TEXT_FUNCTION, { deterministic: true }, searchTextSql);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    return new SqliteStore(db, options);
  } catch (error) {
    db.close();
    throw error;
  }
}
