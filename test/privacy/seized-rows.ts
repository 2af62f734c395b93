/**
 * Every row a seized database holds, read the way an attacker reads it: on
 * SQLite from a copy of the data directory's files, on PostgreSQL from every
 * table of the instance's schema. And every JSON document found anywhere in
 * the raw bytes of the seized files (live rows, older row versions left in
 * free pages or the WAL, log lines), for the checks that must not depend on
 * what a query returns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import type { Seized } from './seizure.js';

export interface SeizedRow {
  /** The table; for a document found in a file's raw bytes, the table of the row with its id, else `unknown`. */
  readonly table: string;
  /** The file whose raw bytes held the document, when it was found there. */
  readonly file?: string;
  readonly id: string;
  /** The stored document (the `doc` column parsed, other columns beside it). */
  readonly doc: Record<string, unknown>;
  /** The row as JSON text, to search for values. */
  readonly text: string;
  /** Every string in the row, with the path it was found at. */
  readonly strings: readonly (readonly [string, string])[];
  /** Every number in the row, with its path. */
  readonly numbers: readonly (readonly [string, number])[];
}

function walk(value: unknown, at: string, strings: [string, string][], numbers: [string, number][]): void {
  if (typeof value === 'string') strings.push([at, value]);
  else if (typeof value === 'number') numbers.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}[${i}]`, strings, numbers));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, at ? `${at}.${k}` : k, strings, numbers);
}

export function toRow(table: string, columns: Record<string, unknown>, file?: string): SeizedRow {
  const { doc: rawDoc, ...rest } = columns;
  let doc: Record<string, unknown> = { ...rest };
  const parsed = typeof rawDoc === 'string' ? safeParse(rawDoc) : rawDoc;
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) doc = { ...rest, ...(parsed as Record<string, unknown>) };
  const strings: [string, string][] = [];
  const numbers: [string, number][] = [];
  walk(doc, '', strings, numbers);
  return { table, ...(file === undefined ? {} : { file }), id: typeof doc.id === 'string' ? doc.id : '', doc, text: JSON.stringify(doc), strings, numbers };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The rows of every ordinary table of the seized SQLite file (text indexes are searched as bytes instead). */
export function sqliteRows(seized: Seized, database = 'parasol.sqlite'): SeizedRow[] {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-rows-'));
  try {
    for (const [name, bytes] of seized.files) {
      if (!name.startsWith(database)) continue;
      fs.writeFileSync(path.join(copy, name), bytes);
    }
    const db = new Database(path.join(copy, database), { readonly: true });
    try {
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'`).pluck().all() as string[];
      return tables.flatMap((table) =>
        (db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]).map((columns) => toRow(table.replace(/^c_/, ''), textColumns(columns))),
      );
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** Blobs (the text indexes' pages) are read as text too: a value hidden in one must not escape the search. */
function textColumns(columns: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('latin1') : v]));
}

/** The rows of every table in the instance's PostgreSQL schema (`url` carries the schema as its search path). */
export async function postgresRows(url: string): Promise<SeizedRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const rows: SeizedRow[] = [];
    for (const { name } of tables.rows) {
      const result = await client.query<{ row: Record<string, unknown> }>(`SELECT row_to_json(t) AS row FROM "${name}" t`);
      for (const { row } of result.rows) rows.push(toRow(name.replace(/^c_/, ''), row));
    }
    return rows;
  } finally {
    await client.end();
  }
}

/** The end of the JSON object that starts at `start`, or -1 when none ends within `limit` bytes. */
function objectEnd(bytes: Buffer, start: number, limit: number): number {
  let depth = 0;
  let inString = false;
  const stop = Math.min(bytes.length, start + limit);
  for (let i = start; i < stop; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return i + 1;
    else if (c < 0x09) return -1;
  }
  return -1;
}

/**
 * Every JSON object in the raw bytes of every seized file: the stored
 * documents of the database pages (free pages and WAL frames included) and
 * the log lines. Each is labelled with the table of the stored row that has
 * its id (`unknown` when none has). An object split over two database pages is
 * not whole in the bytes and is missed; the scenario keeps its documents far
 * smaller than a page.
 */
export function documentsInBytes(seized: Seized, tableOf: (id: string) => string | undefined, maxBytes = 16_384): SeizedRow[] {
  const found: SeizedRow[] = [];
  for (const [name, bytes] of seized.files) {
    let from = 0;
    for (;;) {
      const start = bytes.indexOf('{"', from);
      if (start < 0) break;
      const end = objectEnd(bytes, start, maxBytes);
      const parsed = end > 0 ? safeParse(bytes.toString('utf8', start, end)) : undefined;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const doc = parsed as Record<string, unknown>;
        found.push(toRow((typeof doc.id === 'string' && tableOf(doc.id)) || 'unknown', doc, name));
        from = end;
      } else {
        from = start + 2;
      }
    }
  }
  return found;
}
