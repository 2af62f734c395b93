import Database from 'better-sqlite3-multiple-ciphers';

export type SqliteDatabase = Database.Database;

/**
 * Thrown when a SQLite file cannot be read with the key given (or without
 * one): a wrong or missing DATABASE_KEY, or a file that is not a database.
 * Its message is shown as is to the person starting the instance.
 */
export class DatabaseKeyError extends Error {
  override name = 'DatabaseKeyError';
}

/** SQL string literal: the key goes into a PRAGMA, which takes no bound parameters. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Selects the cipher explicitly before keying: the library's default is
 * ChaCha20 (sqleet), and a default may change between releases; SQLCipher 4
 * (AES-256, HMAC-SHA512 per page, PBKDF2 on the key) is the documented,
 * widely readable choice. The cipher settings only apply to the key set
 * after them, so the order matters.
 */
function configureCipher(db: SqliteDatabase): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
}

/**
 * Keys a freshly opened connection (when a key is given) and proves it right
 * by reading the schema: SQLite reads nothing before the first statement, so
 * a wrong or missing key would otherwise surface later, at the first query,
 * as a bare "file is not a database".
 */
export function keyConnection(db: SqliteDatabase, key: string | null, file: string): void {
  if (key) {
    configureCipher(db);
    db.pragma(`key = ${literal(key)}`);
  }
  assertReadable(db, file, !!key);
}

function assertReadable(db: SqliteDatabase, file: string, keyed: boolean): void {
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_NOTADB') throw error;
    throw new DatabaseKeyError(
      keyed
        ? `The database ${file} cannot be read with this DATABASE_KEY: the key is wrong, or the file is not an encrypted Parasol database.`
        : `The database ${file} cannot be read: it is encrypted (set DATABASE_KEY or DATABASE_KEY_FILE), or it is not a SQLite database.`,
    );
  }
}

/** Opens a SQLite file with the shipped driver, keyed when a key is given. */
export function openSqliteFile(file: string, key: string | null, options: { readonly readonly?: boolean; readonly mustExist?: boolean } = {}): SqliteDatabase {
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.mustExist ?? false });
  try {
    keyConnection(db, key, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Attaches a (new or existing) file to `db` as `schema`, keyed with the same cipher when a key is given. */
export function attachFile(db: SqliteDatabase, file: string, schema: string, key: string | null): void {
  if (!/^[a-z_]+$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  if (key) {
    // ATTACH … KEY uses the connection's default cipher, which configureCipher sets.
    configureCipher(db);
    db.prepare(`ATTACH DATABASE ? AS ${schema} KEY ?`).run(file, key);
  } else {
    db.prepare(`ATTACH DATABASE ? AS ${schema}`).run(file);
  }
}
