/**
 * The PostgreSQL layout of a collection: table `c_<name>` with `id` and the
 * document as JSONB, a STORED generated column `x_<field>` per declared field
 * (typed, so that indexes and comparisons work on values, not JSON text), and
 * for collections with text fields a `t_<field>` text[] per text field (its
 * words, written by the adapter, which segments them in JavaScript) with a
 * generated tsvector `s_search` under a GIN index.
 *
 * Text sorts and compares in the "C" collation (code point order), like
 * SQLite's BINARY and MongoDB's default, so pages and cursors agree across
 * adapters whatever the database's locale. Index columns put nulls first,
 * the port's ascending order; a descending page reads the index backwards.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { SEARCH_TEXT_VERSION, type CompiledSpec } from '../query.js';
import type { FieldType } from '../port.js';
import { indexedWords } from './search-tokens.js';

export const table = (name: string): string => `"c_${name}"`;
export const column = (field: string): string => (field === 'id' ? 'id' : `"x_${field}"`);
export const wordsColumn = (field: string): string => `"t_${field}"`;
export const SEARCH_COLUMN = 's_search';

/** PostgreSQL truncates identifiers to 63 bytes; a longer name is shortened with a hash so that two never collide. */
export function indexName(collection: string, suffix: string): string {
  const name = `${collection}__${suffix}`;
  if (name.length <= 63) return name;
  return `${name.slice(0, 50)}_${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

const SQL_TYPE: Record<FieldType, string> = { string: 'text', number: 'double precision', boolean: 'boolean' };
const JSON_TYPE: Record<FieldType, string> = { string: 'string', number: 'number', boolean: 'boolean' };
const FROM_JSON: Record<FieldType, (path: string) => string> = {
  string: (path) => `doc->>${path}`,
  number: (path) => `(doc->${path})::double precision`,
  boolean: (path) => `(doc->${path})::boolean`,
};

/** A value of another JSON type than declared reads as null, as no typed comparison could match it. */
function generatedColumnSql(field: string, type: FieldType): string {
  const path = `'${field}'`;
  const collate = type === 'string' ? ' COLLATE "C"' : '';
  return `${column(field)} ${SQL_TYPE[type]}${collate} GENERATED ALWAYS AS (CASE WHEN jsonb_typeof(doc->${path}) = '${JSON_TYPE[type]}' THEN ${FROM_JSON[type](path)} END) STORED`;
}

/** Records which text fields and SEARCH_TEXT_VERSION each collection's words were made with. */
const LAYOUT_TABLE = 'parasol_text_layout';
const BACKFILL_BATCH = 500;

/** Creates or migrates a collection's table, columns and indexes; idempotent. Runs inside declare's transaction. */
export async function declareCollection(client: pg.PoolClient, spec: CompiledSpec): Promise<void> {
  const t = table(spec.name);
  await client.query(`CREATE TABLE IF NOT EXISTS ${t} (id text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL)`);
  const existing = new Map(
    (
      await client.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
        [t],
      )
    ).rows.map((row) => [row.name, row.type]),
  );
  for (const [field, type] of spec.fieldTypes) {
    if (field === 'id') continue;
    const current = existing.get(`x_${field}`);
    if (current === SQL_TYPE[type]) continue;
    // A field declared with another type before: its column and the indexes on it are made again.
    if (current !== undefined) await client.query(`ALTER TABLE ${t} DROP COLUMN ${column(field)} CASCADE`);
    await client.query(`ALTER TABLE ${t} ADD COLUMN ${generatedColumnSql(field, type)}`);
  }
  for (const index of spec.indexes) {
    // A unique index takes only its fields: with the id appended every row would be unique.
    const fields = index.fields.map((field) => `${column(field)}${field === 'id' ? '' : ' NULLS FIRST'}`);
    const columns = index.unique || index.fields.includes('id') ? fields : [...fields, 'id'];
    await client.query(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS "${indexName(spec.name, index.name)}" ON ${t} (${columns.join(', ')})`,
    );
  }
  if (spec.ttlField !== null) {
    await client.query(`CREATE INDEX IF NOT EXISTS "${indexName(spec.name, 'ttl')}" ON ${t} (${column(spec.ttlField)})`);
  }
  await declareTextIndex(client, spec, existing);
}

/**
 * Makes the words columns and the text index match the spec. When the text
 * fields or SEARCH_TEXT_VERSION changed, the old ones are dropped and every
 * document's words are computed again.
 */
async function declareTextIndex(client: pg.PoolClient, spec: CompiledSpec, existing: ReadonlyMap<string, string>): Promise<void> {
  const t = table(spec.name);
  await client.query(`CREATE TABLE IF NOT EXISTS ${LAYOUT_TABLE} (collection text PRIMARY KEY, layout text NOT NULL)`);
  const wanted = spec.textFields.length > 0 ? `v${SEARCH_TEXT_VERSION}:${spec.textFields.join(',')}` : null;
  const recorded = (await client.query<{ layout: string }>(`SELECT layout FROM ${LAYOUT_TABLE} WHERE collection = $1`, [spec.name])).rows[0]?.layout ?? null;
  if (recorded === wanted && (wanted === null || existing.has(SEARCH_COLUMN))) return;

  // The tsvector first: it is generated from the words columns.
  const stale = [SEARCH_COLUMN, ...existing.keys()].filter((name) => existing.has(name) && (name === SEARCH_COLUMN || name.startsWith('t_')));
  for (const name of new Set(stale)) await client.query(`ALTER TABLE ${t} DROP COLUMN "${name}"`);
  if (wanted === null) {
    await client.query(`DELETE FROM ${LAYOUT_TABLE} WHERE collection = $1`, [spec.name]);
    return;
  }
  for (const field of spec.textFields) await client.query(`ALTER TABLE ${t} ADD COLUMN ${wordsColumn(field)} text[]`);
  const words = spec.textFields.map((field) => `coalesce(${wordsColumn(field)}, '{}'::text[])`).join(' || ');
  await client.query(`ALTER TABLE ${t} ADD COLUMN ${SEARCH_COLUMN} tsvector GENERATED ALWAYS AS (array_to_tsvector(${words})) STORED`);
  await backfillWords(client, spec);
  await client.query(`CREATE INDEX IF NOT EXISTS "${indexName(spec.name, 'search')}" ON ${t} USING gin (${SEARCH_COLUMN})`);
  await client.query(
    `INSERT INTO ${LAYOUT_TABLE} (collection, layout) VALUES ($1, $2) ON CONFLICT (collection) DO UPDATE SET layout = excluded.layout`,
    [spec.name, wanted],
  );
}

/** Computes the words of every stored document, in pages of the primary key. */
async function backfillWords(client: pg.PoolClient, spec: CompiledSpec): Promise<void> {
  const t = table(spec.name);
  const sets = spec.textFields.map((field, i) => `${wordsColumn(field)} = $${i + 2}::text[]`).join(', ');
  let after = '';
  for (;;) {
    const { rows } = await client.query<{ id: string; doc: Record<string, unknown> }>(
      `SELECT id, doc FROM ${t} WHERE id > $1 ORDER BY id LIMIT ${BACKFILL_BATCH}`,
      [after],
    );
    for (const row of rows) {
      await client.query(`UPDATE ${t} SET ${sets} WHERE id = $1`, [row.id, ...spec.textFields.map((field) => indexedWords(row.doc[field]))]);
    }
    if (rows.length < BACKFILL_BATCH) return;
    after = (rows[rows.length - 1] as { id: string }).id;
  }
}
