/**
 * The storage port: a small document store with declared indexes.
 *
 * Everything above this file is written once and runs on every adapter
 * (SQLite by default, PostgreSQL for several machines, MongoDB). The port is
 * deliberately a subset of what MongoDB does natively so that every adapter
 * can serve every query from an index: a query that no declared index serves is refused
 * (UnindexedQueryError) instead of silently scanning a table.
 */

/** A value an indexed field may hold. Timestamps are milliseconds since the epoch. */
export type Scalar = string | number | boolean | null;

export type FieldType = 'string' | 'number' | 'boolean';

/** Every document has a string id, unique within its collection. */
export interface Doc {
  id: string;
}

type FieldOf<T> = Extract<keyof T, string>;

export interface IndexSpec<T> {
  /** Top-level fields, in order. The document id is the implicit last key of every index. */
  readonly fields: readonly FieldOf<T>[];
  /** Unique over documents where every field of the index holds a value (null or missing are not compared). */
  readonly unique?: boolean;
}

export interface CollectionSpec<T extends Doc> {
  /** Lower-case letters, digits and underscores. */
  readonly name: string;
  /** The type of every field that an index, the TTL or a query uses. */
  readonly fields: { readonly [K in FieldOf<T>]?: FieldType };
  readonly indexes: readonly IndexSpec<T>[];
  /**
   * A number field holding the expiry time (ms epoch). Expired documents are
   * invisible to every read at once and physically deleted by the adapter's
   * sweep (SQLite and PostgreSQL timer, MongoDB TTL index).
   */
  readonly ttlField?: FieldOf<T>;
  /**
   * String fields covered by the collection's full-text index (SQLite FTS5, PostgreSQL tsvector, MongoDB text index).
   * Words are found case- and diacritic-insensitively; in scripts written without spaces
   * (Chinese, Japanese, Thai, Lao, Khmer, Burmese) words are found by ICU's dictionary-based
   * word breaking (Intl.Segmenter), applied alike to the indexed text and to the query.
   */
  readonly textFields?: readonly FieldOf<T>[];
  /**
   * Keeps up to this many documents in memory for get(), for collections read on
   * most requests (accounts, tokens, boards, threads). Each get() still returns a
   * fresh copy. A write through the store drops its document at once, and a
   * commit by another process (a worker, the CLI) drops those of the collections
   * it wrote before the next read, so a get() never returns what the database no
   * longer holds. Adapters that cannot
   * see other processes' commits cheaply (PostgreSQL, MongoDB) read the database each time.
   * Not for collections with a TTL field.
   */
  readonly memoryCache?: number;
  /**
   * False for what background work writes and no page or answer shows (job leases, the delivery queue): another
   * process's write to it drops this collection's kept documents only, not the answers kept in memory
   * (core/foreign-writes.ts), which a lease renewed every few seconds would otherwise empty each time.
   */
  readonly shownInAnswers?: boolean;
}

/** Any collection's spec, whatever its document type (for lists of specs). */
export type AnyCollectionSpec = CollectionSpec<never>;

/** Declares a collection; a typed identity so specs live next to the module that owns them. */
export function defineCollection<T extends Doc>(spec: CollectionSpec<T>): CollectionSpec<T> {
  return spec;
}

/** Equality on fields; null matches null and missing. A field present with the value undefined is refused, never ignored. */
export type Where<T> = { readonly [K in FieldOf<T>]?: Scalar };

export interface RangeOn {
  readonly gt?: Scalar;
  readonly gte?: Scalar;
  readonly lt?: Scalar;
  readonly lte?: Scalar;
}

export interface FindQuery<T> {
  /** Equality on every field of an index prefix. */
  readonly where?: Where<T>;
  /**
   * The index field right after the where prefix; ties are broken by id in the same direction.
   * Without it, id order, which needs a where covering a whole index (or no where).
   * Null and missing values sort first ascending, last descending.
   */
  readonly orderBy?: { readonly field: FieldOf<T>; readonly direction?: 'asc' | 'desc' };
  /** Bounds on the orderBy field. */
  readonly range?: RangeOn;
  /** 1..1000, default 50. */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly after?: string | null;
}

export interface SearchQuery<T> {
  /** Equality filters applied to the text matches (any declared field). */
  readonly where?: Where<T>;
  /** Order of the matches: an indexed field, else the id; descending (newest first) unless direction is 'asc'. */
  readonly orderBy?: { readonly field: FieldOf<T>; readonly direction?: 'asc' | 'desc' };
  readonly limit?: number;
  readonly after?: string | null;
}

export interface Page<T> {
  readonly items: T[];
  /** Opaque cursor for the next page, or null when this was the last one. */
  readonly next: string | null;
}

export interface Collection<T extends Doc> {
  readonly spec: CollectionSpec<T>;
  get(id: string): Promise<T | null>;
  /** The documents that exist, in the order of `ids`. */
  getMany(ids: readonly string[]): Promise<T[]>;
  /** Throws DuplicateKeyError when the id or a unique index is taken. */
  insert(doc: T): Promise<T>;
  /** Insert or replace the whole document. Throws DuplicateKeyError on a unique index clash. */
  upsert(doc: T): Promise<T>;
  /** Sets the given fields (undefined values remove the field); returns the new document or null if absent. */
  patch(id: string, fields: Partial<T>): Promise<T | null>;
  /**
   * Sets the given fields as patch() does, but only when the document's current fields equal `expected` (null
   * matches null and missing; any field, indexed or not); returns the new document, or null when it is absent or
   * does not match. One atomic step across processes: what must happen once (open -> alerted, a job's lease)
   * is a patchIf that only one caller wins.
   */
  patchIf(id: string, expected: Where<T>, fields: Partial<T>): Promise<T | null>;
  /** Atomically adds to number fields (missing counts as 0); returns the new document or null if absent. */
  increment(id: string, deltas: { readonly [K in FieldOf<T>]?: number }): Promise<T | null>;
  delete(id: string): Promise<boolean>;
  /** Deletes every document matching equality on an index prefix of at least one field; returns how many. */
  deleteWhere(where: Where<T>): Promise<number>;
  find(query: FindQuery<T>): Promise<Page<T>>;
  /** The first document matching equality on an index prefix, in that index's order. */
  findOne(where: Where<T>): Promise<T | null>;
  /** Counts documents matching equality on an index prefix (all documents when empty). */
  count(where?: Where<T>): Promise<number>;
  /**
   * Full-text search: every word of `text` must occur, as a whole word (no prefix matching);
   * a run of an unspaced script in `text` counts as the words it segments into. Only on
   * collections with textFields.
   */
  search(text: string, query?: SearchQuery<T>): Promise<Page<T>>;
}

/** The collections of a transaction: every read and write through it commits or rolls back together. */
export interface TxScope {
  collection<T extends Doc>(spec: CollectionSpec<T>): Collection<T>;
}

/**
 * A blob collection: binary content (photos) kept in chunks of at most BLOB_CHUNK_BYTES, as the database's own
 * binary type (SQLite BLOB, PostgreSQL bytea, MongoDB BinData; never PostgreSQL large objects, which outlive the
 * row that names them). Each chunk row carries its blob's id, variant, index and context (kind and id: the post,
 * message or report it belongs to) and nothing else, so that what owns a blob is all a row tells. The rows live in
 * the same database file or schema as the documents: secure deletion, encryption at rest and backups cover them.
 */
export interface BlobSpec {
  /** Lower-case letters, digits and underscores. */
  readonly name: string;
}

export function defineBlobs(spec: BlobSpec): BlobSpec {
  return spec;
}

/** Where a blob belongs and which of its variants (large, thumb...) it is. */
export interface BlobRef {
  readonly contextKind: string;
  readonly contextId: string;
  readonly blobId: string;
  readonly variant: string;
}

/** Chunks are this size at most: well under every adapter's row or document limit. */
export const BLOB_CHUNK_BYTES = 256 * 1024;

export interface Blobs {
  /** Writes the bytes in chunks under (blobId, variant), replacing what was there, in one transaction. */
  put(ref: BlobRef, bytes: Uint8Array): Promise<void>;
  /** The whole content of a variant, or null when there is none. */
  get(blobId: string, variant: string): Promise<Buffer | null>;
  /** Deletes every variant of one blob; returns how many chunks went. */
  deleteBlob(blobId: string): Promise<number>;
  /** Deletes every blob of a context; returns how many chunks went. */
  deleteContext(contextKind: string, contextId: string): Promise<number>;
  /** What the collection holds: total bytes and chunks. */
  usage(): Promise<{ readonly bytes: number; readonly chunks: number }>;
}

export interface Store extends TxScope {
  readonly kind: 'sqlite' | 'postgres' | 'mongodb';
  /** Creates tables/collections and their indexes; idempotent; call once at start-up per module. */
  declare(specs: readonly AnyCollectionSpec[]): Promise<void>;
  /** Creates blob collections (idempotent), as declare() does for documents. */
  declareBlobs(specs: readonly BlobSpec[]): Promise<void>;
  /** A declared blob collection. Not inside transaction(fn): blobs are written before and deleted after the documents naming them. */
  blobs(spec: BlobSpec): Blobs;
  /**
   * Runs `fn` atomically. Use it for every write that touches more than one document.
   * Keep `fn` short: it may only await store calls made through `tx`. A call on the
   * store itself or a nested transaction inside `fn` is refused with StoreError (by
   * PostgreSQL and MongoDB at once, by SQLite once it has waited its transactionWaitMs).
   * It may run more than once (MongoDB retries transient conflicts, PostgreSQL
   * deadlocks and serialization failures), so it must
   * have no side effects besides those store calls.
   */
  transaction<R>(fn: (tx: TxScope) => Promise<R>): Promise<R>;
  /**
   * Physically deletes expired documents now; returns how many. Adapters also run it on a timer unless opened
   * without one (the app runs it under a job lease instead, so that one process sweeps).
   */
  sweepExpired(now?: number): Promise<number>;
  /**
   * The database's time (ms since the epoch): the one clock that job leases are compared against, since the
   * clocks of several machines on one database may disagree.
   */
  now(): Promise<number>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

export class DuplicateKeyError extends StoreError {
  override name = 'DuplicateKeyError';
  constructor(
    readonly collection: string,
    /** The fields of the unique index that clashed, or ['id']. */
    readonly fields: readonly string[],
  ) {
    super(`duplicate key in ${collection} on ${fields.join(', ')}`);
  }
}

export class UnindexedQueryError extends StoreError {
  override name = 'UnindexedQueryError';
}

export class InvalidCursorError extends StoreError {
  override name = 'InvalidCursorError';
}
