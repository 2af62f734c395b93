import type { SqliteDatabase } from '../store/sqlite-key.js';

interface SchemaRow {
  readonly type: 'table' | 'index' | 'view' | 'trigger';
  readonly name: string;
  readonly sql: string;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Puts `schema.` before the object's name in its stored CREATE statement (SQLite stores it normalised: "CREATE TABLE name…"). */
function qualified(sql: string, schema: string): string {
  const m = /^CREATE (VIRTUAL TABLE|TABLE|UNIQUE INDEX|INDEX|VIEW|TRIGGER) /.exec(sql);
  if (!m) throw new Error(`unexpected schema statement: ${sql.slice(0, 40)}`);
  return `${m[0]}${schema}.${sql.slice(m[0].length)}`;
}

/**
 * Copies every table, index, view and trigger of the connection's main
 * database into the attached, empty `schema`, as SQLCipher's
 * sqlcipher_export() does (the library has no such function). This is how a
 * database changes between plain and encrypted without a plain copy on disk:
 * the attached file is keyed, so every page is encrypted as it is written.
 * Virtual tables (the full-text indexes) are created first, which creates
 * their shadow tables; the shadow tables' rows are then copied like any
 * other table's, so the index is the same, not rebuilt. Triggers come last,
 * so that copying rows fires none of them.
 */
export function exportDatabase(db: SqliteDatabase, schema: string): void {
  const objects = db.prepare(`SELECT type, name, sql FROM main.sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid`).all() as SchemaRow[];
  const isVirtual = (o: SchemaRow) => o.type === 'table' && o.sql.startsWith('CREATE VIRTUAL TABLE');
  // Defensive mode (the driver's default) forbids writing a full-text index's shadow tables, which is the point here.
  db.unsafeMode(true);
  try {
    copyAll(db, schema, objects, isVirtual);
  } finally {
    db.unsafeMode(false);
  }
}

function copyAll(db: SqliteDatabase, schema: string, objects: readonly SchemaRow[], isVirtual: (o: SchemaRow) => boolean): void {
  db.transaction(() => {
    for (const o of objects.filter(isVirtual)) db.exec(qualified(o.sql, schema));
    const existing = new Set((db.prepare(`SELECT name FROM ${schema}.sqlite_schema WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name));
    for (const o of objects) if (o.type === 'table' && !isVirtual(o) && !existing.has(o.name)) db.exec(qualified(o.sql, schema));
    for (const o of objects) {
      if (o.type !== 'table' || isVirtual(o)) continue;
      // Generated columns (hidden 2 and 3) are computed, not stored: they cannot be inserted.
      const columns = (db.prepare('SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0').all(o.name) as { name: string }[]).map((c) => quote(c.name)).join(', ');
      db.exec(`DELETE FROM ${schema}.${quote(o.name)}`);
      db.exec(`INSERT INTO ${schema}.${quote(o.name)} (${columns}) SELECT ${columns} FROM main.${quote(o.name)}`);
    }
    if (objects.some((o) => o.sql.includes('AUTOINCREMENT'))) {
      db.exec(`DELETE FROM ${schema}.sqlite_sequence`);
      db.exec(`INSERT INTO ${schema}.sqlite_sequence SELECT * FROM main.sqlite_sequence`);
    }
    for (const type of ['index', 'view', 'trigger'] as const) {
      for (const o of objects) if (o.type === type) db.exec(qualified(o.sql, schema));
    }
    db.pragma(`${schema}.user_version = ${Number(db.pragma('main.user_version', { simple: true }))}`);
  })();
}
