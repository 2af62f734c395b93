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
import { SEARCH_TEXT_ICU, SEARCH_TEXT_VERSION, type CompiledSpec } from '../query.js';
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

/** Records which text fields, SEARCH_TEXT_VERSION and ICU each collection's words were made with. */
const LAYOUT_TABLE = 'parasol_text_layout';
const BACKFILL_BATCH = 500;

/** Text layouts by collection; creates their table on first use. Runs inside declare's transaction. */
export async function readTextLayouts(client: pg.PoolClient): Promise<Map<string, string>> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${LAYOUT_TABLE} (collection text PRIMARY KEY, layout text NOT NULL)`);
  const { rows } = await client.query<{ collection: string; layout: string }>(`SELECT collection, layout FROM ${LAYOUT_TABLE}`);
  return new Map(rows.map((row) => [row.collection, row.layout]));
}

/**
 * Creates or migrates a collection's table, columns and indexes; idempotent.
 * Runs inside declare's transaction. The statements go in as few round trips
 * as possible (the names in them are validated identifiers): a fresh
 * database declares some forty collections at start-up.
 */
export async function declareCollection(client: pg.PoolClient, spec: CompiledSpec, textLayouts: ReadonlyMap<string, string>): Promise<void> {
  const t = table(spec.name);
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [t],
  );
  const existing = new Map(rows.map((row) => [row.name, row.type]));
  const statements: string[] = [];
  if (existing.size === 0) statements.push(`CREATE TABLE ${t} (id text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL)`);
  const added: string[] = [];
  for (const [field, type] of spec.fieldTypes) {
    if (field === 'id') continue;
    const current = existing.get(`x_${field}`);
    if (current === SQL_TYPE[type]) continue;
    // A field declared with another type before: its column and the indexes on it are made again.
    if (current !== undefined) statements.push(`ALTER TABLE ${t} DROP COLUMN ${column(field)} CASCADE`);
    added.push(`ADD COLUMN ${generatedColumnSql(field, type)}`);
  }
  // One ALTER for every new column: each ALTER adding a stored column rewrites the table.
  if (added.length > 0) statements.push(`ALTER TABLE ${t} ${added.join(', ')}`);
  for (const index of spec.indexes) {
    // A unique index takes only its fields: with the id appended every row would be unique.
    const fields = index.fields.map((field) => `${column(field)}${field === 'id' ? '' : ' NULLS FIRST'}`);
    const columns = index.unique || index.fields.includes('id') ? fields : [...fields, 'id'];
    statements.push(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS "${indexName(spec.name, index.name)}" ON ${t} (${columns.join(', ')})`);
  }
  if (spec.ttlField !== null) {
    statements.push(`CREATE INDEX IF NOT EXISTS "${indexName(spec.name, 'ttl')}" ON ${t} (${column(spec.ttlField)})`);
  }
  statements.push(...textIndexStatements(spec, existing, textLayouts.get(spec.name) ?? null));
  if (statements.length > 0) await client.query(statements.join(';\n'));
  if (existing.size > 0 && needsTextRebuild(spec, existing, textLayouts.get(spec.name) ?? null)) await backfillWords(client, spec);
}

function wantedLayout(spec: CompiledSpec): string | null {
  return spec.textFields.length > 0 ? `v${SEARCH_TEXT_VERSION}:${SEARCH_TEXT_ICU}:${spec.textFields.join(',')}` : null;
}

function needsTextRebuild(spec: CompiledSpec, existing: ReadonlyMap<string, string>, recorded: string | null): boolean {
  const wanted = wantedLayout(spec);
  return recorded !== wanted || (wanted !== null && !existing.has(SEARCH_COLUMN));
}

/**
 * Makes the words columns and the text index match the spec. When the text
 * fields, SEARCH_TEXT_VERSION or ICU (a Node upgrade) changed, the old ones are dropped; the words
 * of the stored documents are then computed again (backfillWords).
 */
function textIndexStatements(spec: CompiledSpec, existing: ReadonlyMap<string, string>, recorded: string | null): string[] {
  if (!needsTextRebuild(spec, existing, recorded)) return [];
  const t = table(spec.name);
  const wanted = wantedLayout(spec);
  const statements: string[] = [];
  // The tsvector first: it is generated from the words columns.
  const stale = [SEARCH_COLUMN, ...existing.keys()].filter((name) => existing.has(name) && (name === SEARCH_COLUMN || name.startsWith('t_')));
  for (const name of new Set(stale)) statements.push(`ALTER TABLE ${t} DROP COLUMN "${name}"`);
  if (wanted === null) return [...statements, `DELETE FROM ${LAYOUT_TABLE} WHERE collection = '${spec.name}'`];
  statements.push(`ALTER TABLE ${t} ${spec.textFields.map((field) => `ADD COLUMN ${wordsColumn(field)} text[]`).join(', ')}`);
  const words = spec.textFields.map((field) => `coalesce(${wordsColumn(field)}, '{}'::text[])`).join(' || ');
  statements.push(
    `ALTER TABLE ${t} ADD COLUMN ${SEARCH_COLUMN} tsvector GENERATED ALWAYS AS (array_to_tsvector(${words})) STORED`,
    `CREATE INDEX IF NOT EXISTS "${indexName(spec.name, 'search')}" ON ${t} USING gin (${SEARCH_COLUMN})`,
    `INSERT INTO ${LAYOUT_TABLE} (collection, layout) VALUES ('${spec.name}', '${wanted}') ON CONFLICT (collection) DO UPDATE SET layout = excluded.layout`,
  );
  return statements;
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
