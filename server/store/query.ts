/**
 * Adapter-independent rules of the storage port: spec validation, which
 * queries an index serves, limits, cursors and search terms. Both adapters
 * call these so that a query refused on SQLite is refused on MongoDB too.
 */
import {
  InvalidCursorError,
  StoreError,
  UnindexedQueryError,
  type AnyCollectionSpec,
  type FieldType,
  type Page,
  type RangeOn,
  type Scalar,
} from './port.js';

const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,62}$/;
// Field names become SQL column names and JSON paths, and MongoDB reserves names starting with _ or $.
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
export const MAX_SEARCH_TERMS = 20;
const MAX_CURSOR_LENGTH = 4096;

export function assertCollectionName(name: string): void {
  if (!COLLECTION_NAME.test(name)) {
    throw new StoreError(`invalid collection name ${JSON.stringify(name)}: use lower-case letters, digits and underscores`);
  }
}

export function assertFieldName(collection: string, field: string): void {
  if (!FIELD_NAME.test(field)) {
    throw new StoreError(`invalid field name ${JSON.stringify(field)} in ${collection}: use letters, digits and underscores`);
  }
}

export interface IndexInfo {
  readonly fields: readonly string[];
  readonly unique: boolean;
  /** Stable name derived from the fields, used for SQLite and MongoDB index names. */
  readonly name: string;
}

/** A validated spec with the lookups every query needs. */
export interface CompiledSpec {
  readonly name: string;
  /** Declared field types; always contains `id`. */
  readonly fieldTypes: ReadonlyMap<string, FieldType>;
  readonly indexes: readonly IndexInfo[];
  /** Key orders that can serve a query: the primary key, then each index followed by the id. */
  readonly keyOrders: readonly (readonly string[])[];
  readonly ttlField: string | null;
  readonly textFields: readonly string[];
  /** Documents kept in memory for get() (0: none); see CollectionSpec.memoryCache. */
  readonly memoryCache: number;
  /** See CollectionSpec.shownInAnswers. */
  readonly shownInAnswers: boolean;
  /** Plans by query shape, so validation runs once per call site rather than once per call. */
  readonly plans: Map<string, QueryPlan>;
}

export function compileSpec(spec: AnyCollectionSpec): CompiledSpec {
  assertCollectionName(spec.name);
  const fieldTypes = new Map<string, FieldType>([['id', 'string']]);
  const lowerNames = new Set<string>(['id']);
  for (const [field, type] of Object.entries(spec.fields) as [string, FieldType | undefined][]) {
    if (field === 'id' || type === undefined) continue;
    assertFieldName(spec.name, field);
    if (type !== 'string' && type !== 'number' && type !== 'boolean') {
      throw new StoreError(`field ${spec.name}.${field} has unknown type ${String(type)}`);
    }
    // SQLite column names are case-insensitive.
    if (lowerNames.has(field.toLowerCase())) {
      throw new StoreError(`field ${spec.name}.${field} differs from another field only by case`);
    }
    lowerNames.add(field.toLowerCase());
    fieldTypes.set(field, type);
  }
  const declared = (field: string, what: string): void => {
    if (!fieldTypes.has(field)) throw new StoreError(`${what} ${spec.name}.${field} is not declared in fields`);
  };

  const indexes: IndexInfo[] = [];
  for (const index of spec.indexes) {
    const fields = [...index.fields] as string[];
    if (fields.length === 0) throw new StoreError(`an index of ${spec.name} has no fields`);
    if (new Set(fields).size !== fields.length) throw new StoreError(`an index of ${spec.name} repeats a field`);
    for (const field of fields) declared(field, 'index field');
    const unique = index.unique === true;
    indexes.push({ fields, unique, name: `${unique ? 'u' : 'i'}_${fields.join('_')}` });
  }
  const ttlField = spec.ttlField ?? null;
  if (ttlField !== null) {
    declared(ttlField, 'ttl field');
    if (fieldTypes.get(ttlField) !== 'number') throw new StoreError(`ttl field ${spec.name}.${ttlField} must be a number field`);
  }
  const textFields = [...(spec.textFields ?? [])] as string[];
  for (const field of textFields) {
    assertFieldName(spec.name, field);
    if (field === 'id') throw new StoreError(`the id of ${spec.name} cannot be a text field`);
  }
  const keyOrders: string[][] = [['id']];
  for (const index of indexes) {
    if (!index.fields.includes('id')) keyOrders.push([...index.fields, 'id']);
    else keyOrders.push([...index.fields]);
  }
  const memoryCache = spec.memoryCache ?? 0;
  if (!Number.isInteger(memoryCache) || memoryCache < 0) throw new StoreError(`memoryCache of ${spec.name} must be a whole number`);
  // An expiring document would stay readable from memory after its time.
  if (memoryCache > 0 && ttlField !== null) throw new StoreError(`${spec.name} has a TTL field and cannot keep documents in memory`);
  return { name: spec.name, fieldTypes, indexes, keyOrders, ttlField, textFields, memoryCache, shownInAnswers: spec.shownInAnswers !== false, plans: new Map() };
}

/** How a query runs: equality on `eq` (in index order), then ordered by `orderField` and the id. */
export interface QueryPlan {
  readonly eq: readonly string[];
  /** `id` when the order is the primary key alone. */
  readonly orderField: string;
  readonly desc: boolean;
  /** The query shape, for adapters' statement caches. */
  readonly key: string;
}

type WhereInput = { readonly [field: string]: Scalar | undefined } | undefined;
interface OrderInput {
  readonly field: string;
  readonly direction?: 'asc' | 'desc';
}

/**
 * Equality values in plan order. An undefined value is refused rather than
 * ignored: silently dropping it would widen a query (or a deleteWhere) to
 * every document.
 */
export function whereValues(spec: CompiledSpec, plan: QueryPlan, where: WhereInput): Scalar[] {
  const values: Scalar[] = [];
  for (const field of plan.eq) {
    const value = where?.[field];
    if (value === undefined) throw new StoreError(`where.${field} on ${spec.name} is undefined`);
    checkValue(spec, field, value, 'where');
    values.push(value);
  }
  return values;
}

export function checkValue(spec: CompiledSpec, field: string, value: unknown, what: string): asserts value is Scalar {
  if (value === null) return;
  const type = spec.fieldTypes.get(field);
  const ok = type === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === type;
  if (!ok) throw new StoreError(`${what} ${spec.name}.${field} must be a ${type ?? 'declared field'}, got ${typeof value}`);
}

function whereFields(spec: CompiledSpec, where: WhereInput): string[] {
  if (where === undefined) return [];
  const fields = Object.keys(where);
  for (const field of fields) {
    if (where[field] === undefined) throw new StoreError(`where.${field} on ${spec.name} is undefined`);
  }
  return fields;
}

/**
 * Plans a find/findOne/count/deleteWhere. The where fields must be exactly
 * the first k keys of the primary key or of an index (in any order); an
 * orderBy must be key k+1. Without orderBy, `find` is in id order, which
 * needs the where to cover a whole index; `natural` instead takes key k+1
 * ascending (for findOne, count and deleteWhere, where order does not matter).
 */
export function planQuery(
  spec: CompiledSpec,
  where: WhereInput,
  orderBy: OrderInput | undefined,
  natural = false,
): QueryPlan {
  const fields = whereFields(spec, where);
  const desc = orderBy?.direction === 'desc';
  if (orderBy !== undefined && orderBy.direction !== undefined && orderBy.direction !== 'asc' && !desc) {
    throw new StoreError(`orderBy.direction must be asc or desc`);
  }
  const key = `${natural ? 'n' : 'q'}|${fields.join(',')}|${orderBy?.field ?? ''}|${desc ? 'd' : 'a'}`;
  const cached = spec.plans.get(key);
  if (cached !== undefined) return cached;

  for (const field of fields) {
    if (!spec.fieldTypes.has(field)) throw new UnindexedQueryError(`${spec.name}.${field} is not a declared field`);
  }
  const wanted = new Set(fields);
  let plan: QueryPlan | null = null;
  for (const order of spec.keyOrders) {
    const k = wanted.size;
    if (k > order.length) continue;
    if (!order.slice(0, k).every((field) => wanted.has(field))) continue;
    const next = order[k];
    if (orderBy !== undefined) {
      if (next !== orderBy.field) continue;
    } else if (next !== undefined && next !== 'id' && !natural) {
      continue;
    }
    plan = { eq: order.slice(0, k), orderField: orderBy?.field ?? (natural ? (next ?? 'id') : 'id'), desc, key };
    break;
  }
  if (plan === null) {
    const shape = `where {${fields.join(', ')}}${orderBy ? ` orderBy ${orderBy.field}` : ''}`;
    throw new UnindexedQueryError(
      `no index of ${spec.name} serves ${shape}: where must be a prefix of a declared index and orderBy its next field`,
    );
  }
  spec.plans.set(key, plan);
  return plan;
}

/**
 * Plans a search: the text index finds the matches, so where may use any
 * declared field; the order must be an indexed field (or the id), newest first
 * unless asked otherwise.
 */
export function planSearch(spec: CompiledSpec, where: WhereInput, orderBy: OrderInput | undefined): QueryPlan {
  if (spec.textFields.length === 0) throw new StoreError(`${spec.name} has no textFields: it cannot be searched`);
  const fields = whereFields(spec, where);
  const desc = orderBy?.direction !== 'asc';
  const key = `s|${fields.join(',')}|${orderBy?.field ?? ''}|${desc ? 'd' : 'a'}`;
  const cached = spec.plans.get(key);
  if (cached !== undefined) return cached;
  for (const field of fields) {
    if (!spec.fieldTypes.has(field)) throw new UnindexedQueryError(`${spec.name}.${field} is not a declared field`);
  }
  const orderField = orderBy?.field ?? 'id';
  if (orderField !== 'id' && !spec.indexes.some((index) => index.fields.includes(orderField))) {
    throw new UnindexedQueryError(`${spec.name}.${orderField} is not an indexed field: search cannot order by it`);
  }
  const plan: QueryPlan = { eq: fields, orderField, desc, key };
  spec.plans.set(key, plan);
  return plan;
}

export type RangeOp = 'gt' | 'gte' | 'lt' | 'lte';
export interface RangeBound {
  readonly op: RangeOp;
  readonly value: Scalar;
}

const RANGE_OPS: readonly RangeOp[] = ['gt', 'gte', 'lt', 'lte'];

/** The bounds in a fixed order (so the shape key is stable); null bounds are refused. */
export function rangeBounds(spec: CompiledSpec, plan: QueryPlan, range: RangeOn | undefined, ordered: boolean): RangeBound[] {
  if (range === undefined) return [];
  const bounds: RangeBound[] = [];
  for (const op of RANGE_OPS) {
    const value = range[op];
    if (value === undefined) continue;
    if (!ordered) throw new StoreError(`a range on ${spec.name} needs an orderBy field to bound`);
    if (value === null) throw new StoreError(`range.${op} on ${spec.name} cannot be null`);
    checkValue(spec, plan.orderField, value, 'range');
    bounds.push({ op, value });
  }
  return bounds;
}

export function resolveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new StoreError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

export interface Cursor {
  /** The order field's value of the last item; null when that item lacks the field. */
  readonly value: Scalar;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.value, cursor.id]), 'utf8').toString('base64url');
}

/** Cursors come back from clients, so anything malformed is an InvalidCursorError. */
export function decodeCursor(spec: CompiledSpec, plan: QueryPlan, after: string | null | undefined): Cursor | null {
  if (after === undefined || after === null) return null;
  const invalid = (): InvalidCursorError => new InvalidCursorError('invalid cursor');
  if (typeof after !== 'string' || after.length === 0 || after.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(after)) {
    throw invalid();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [value, id] = parsed as unknown[];
  if (typeof id !== 'string' || id.length === 0) throw invalid();
  if (value !== null) {
    const type = spec.fieldTypes.get(plan.orderField);
    if (typeof value !== type) throw invalid();
  }
  if (plan.orderField === 'id' && value !== id) throw invalid();
  return { value: value as Scalar, id };
}

/**
 * A page is read as consecutive segments of the order so that every segment
 * is one index range, even with null values: nulls sort first ascending and
 * last descending on both SQLite and MongoDB, and a keyset comparison with
 * null never matches, so continuing across them needs separate segments.
 */
export type Segment =
  /** The order from its beginning. */
  | { readonly kind: 'start' }
  /** Non-null values after (value, id); for id order, ids after id. */
  | { readonly kind: 'after'; readonly value: Scalar; readonly id: string }
  /** Null values with an id after id. */
  | { readonly kind: 'nullsAfter'; readonly id: string }
  /** Every non-null value (ascending, once the nulls are done). */
  | { readonly kind: 'nonNull' }
  /** Every null value (descending, once the non-null values are done). */
  | { readonly kind: 'nulls' };

const START: Segment = { kind: 'start' };
const NON_NULL: Segment = { kind: 'nonNull' };
const NULLS: Segment = { kind: 'nulls' };

/** With a range only non-null values can match, so the null segments are skipped. */
export function pageSegments(plan: QueryPlan, cursor: Cursor | null, hasRange: boolean): Segment[] {
  if (cursor === null) return [START];
  if (plan.orderField === 'id' || cursor.value !== null) {
    const after: Segment = { kind: 'after', value: cursor.value, id: cursor.id };
    return plan.desc && !hasRange && plan.orderField !== 'id' ? [after, NULLS] : [after];
  }
  if (hasRange) return [];
  const nullsAfter: Segment = { kind: 'nullsAfter', id: cursor.id };
  return plan.desc ? [nullsAfter] : [nullsAfter, NON_NULL];
}

/** Builds the page from up to limit + 1 documents in order; the extra one only proves there is a next page. */
export function toPage<T extends { id: string }>(docs: T[], limit: number, orderField: string): Page<T> {
  if (docs.length <= limit) return { items: docs, next: null };
  const items = docs.slice(0, limit);
  const last = items[items.length - 1] as T;
  const value = (last as Record<string, unknown>)[orderField];
  return { items, next: encodeCursor({ value: value === undefined ? null : (value as Scalar), id: last.id }) };
}

/**
 * Bumped whenever searchableText can give a different result for the same
 * text: adapters tag their text index with it and rebuild an index made
 * with another version when the collection is declared.
 */
export const SEARCH_TEXT_VERSION = 1;
/**
 * The ICU version Node was built with, as a name part: ICU's dictionaries split unspaced scripts, and a newer one
 * (a Node upgrade) may split them otherwise. Every adapter records it with its text index and rebuilds the index's
 * words when it changes, so that stored words and the words of a query are split alike.
 */
export const SEARCH_TEXT_ICU = `icu${(process.versions.icu ?? 'none').replace(/\W/g, '_')}`;

/**
 * Scripts written without spaces between words (ICU segments them with
 * dictionaries). Script_Extensions rather than Script so that signs shared
 * between them (the prolonged sound mark ー, ideographic punctuation) count.
 */
const UNSPACED = String.raw`\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}`;
const UNSPACED_CHAR = new RegExp(`[${UNSPACED}]`, 'u');
const SPACE = /^\s/u;
/**
 * ICU's dictionary-based word breaking (Chinese and Japanese, Thai, Lao,
 * Khmer, Burmese) is the same for every locale; a fixed one keeps the index
 * independent of the server's locale settings.
 */
const WORDS = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * The form of a text field that the text indexes tokenise: NFC, with a space
 * between the words of scripts written without spaces, so that the tokenisers
 * of SQLite FTS5 (unicode61) and MongoDB (language none), which split only on
 * spaces and punctuation, see each word as a token. A space is added only
 * next to a segment in such a script, so other text keeps its tokens; text
 * without such scripts is returned as it is (after NFC), without running the
 * segmenter. The whole text is segmented in one pass: the cost is per segment.
 */
export function searchableText(text: string): string {
  const normal = text.normalize('NFC');
  if (!UNSPACED_CHAR.test(normal)) return normal;
  let out = '';
  let previousUnspaced = false;
  let previousSpace = true;
  for (const { segment } of WORDS.segment(normal)) {
    const unspaced = UNSPACED_CHAR.test(segment);
    const space = !unspaced && SPACE.test(segment);
    if ((unspaced || previousUnspaced) && !space && !previousSpace) out += ' ';
    out += segment;
    previousUnspaced = unspaced;
    previousSpace = space;
  }
  return out;
}

/**
 * Search input to terms: words split on anything that is not a letter, digit
 * or combining mark, and words of scripts written without spaces split by
 * searchableText exactly as the indexed text is; duplicates dropped, at most
 * MAX_SEARCH_TERMS so a long query cannot make an expensive match.
 */
export function searchTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const word of text.normalize('NFC').split(/[^\p{L}\p{N}\p{M}]+/u)) {
    if (word === '') continue;
    for (const term of UNSPACED_CHAR.test(word) ? searchableText(word).split(' ') : [word]) {
      if (term === '') continue;
      terms.add(term);
      if (terms.size === MAX_SEARCH_TERMS) return [...terms];
    }
  }
  return [...terms];
}

/** JSON round trip: what both adapters store, so callers get the same values back on either. */
export function normalizeDoc<T>(doc: T): T {
  return JSON.parse(JSON.stringify(doc)) as T;
}

export function assertDocId(collection: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) throw new StoreError(`documents of ${collection} need a non-empty string id`);
}
