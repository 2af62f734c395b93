import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import Database from 'better-sqlite3-multiple-ciphers';
import { Decrypter, Encrypter } from 'age-encryption';
import { attachFile, openSqliteFile, type SqliteDatabase } from '../store/sqlite-key.js';
import { backupScryptFloor } from '../config.js';
import { exportDatabase } from './sqlite-export.js';

/** A refusal the person at the shell caused (wrong key, damaged file, non-empty target): printed as is, nothing changed. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** How a backup is encrypted or decrypted: age recipients / identities, or one passphrase (scrypt). */
export interface AgeKeys {
  readonly recipients?: readonly string[];
  readonly identities?: readonly string[];
  readonly passphrase?: string;
}

/** Age encrypts in 64 KiB chunks; feeding it pieces of that size keeps each step small. */
const CHUNK = 64 * 1024;

/** The table every Parasol database has: a restored file without it is someone else's database. */
const PARASOL_TABLE = 'c_instance';

function bufferStream(bytes: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(offset, offset + CHUNK));
      offset += CHUNK;
    },
  });
}

/**
 * Reads a consistent image of the live database into memory: serialize()
 * reads every page in one read transaction (a running instance keeps
 * writing meanwhile, in WAL mode), through the cipher, so the image is plain
 * and never touches the disk. It costs the database's size in memory.
 */
function snapshot(dbFile: string, key: string | null): Buffer {
  const db = openSqliteFile(dbFile, key, { readonly: true, mustExist: true });
  try {
    const image = db.serialize();
    // Bytes 18-19 say "WAL mode"; an in-memory copy cannot open in that mode, so the image says "rollback journal".
    image[18] = 1;
    image[19] = 1;
    return image;
  } finally {
    db.close();
  }
}

/**
 * Writes an age-encrypted backup of the SQLite database to `out`: the image
 * streams from memory into the encryptor and from it into the file, so the
 * only bytes on disk are ciphertext. `out` must not exist yet.
 */
export async function writeBackup(dbFile: string, key: string | null, out: string, keys: AgeKeys, scryptLogN = backupScryptFloor): Promise<{ readonly bytes: number }> {
  if (keys.passphrase !== undefined && keys.recipients?.length) throw new BackupError('give either --recipient or --passphrase-file, not both');
  const encrypter = new Encrypter();
  encrypter.setScryptWorkFactor(scryptLogN);
  if (keys.passphrase !== undefined) encrypter.setPassphrase(keys.passphrase);
  for (const r of keys.recipients ?? []) {
    try {
      encrypter.addRecipient(r);
    } catch {
      throw new BackupError(`not an age recipient: ${r.slice(0, 12)}…`);
    }
  }
  if (keys.passphrase === undefined && !keys.recipients?.length) throw new BackupError('give --recipient AGE_PUBLIC_KEY or --passphrase-file PATH');
  const image = snapshot(dbFile, key);
  const encrypted = await encrypter.encrypt(bufferStream(image));
  try {
    await pipeline(Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>), fs.createWriteStream(out, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`${out} exists already; choose a new file name`);
    fs.rmSync(out, { force: true });
    throw error;
  }
  return { bytes: image.length };
}

async function decryptBackup(file: string, keys: AgeKeys): Promise<Buffer> {
  const decrypter = new Decrypter();
  if (keys.passphrase !== undefined) decrypter.addPassphrase(keys.passphrase);
  for (const id of keys.identities ?? []) {
    try {
      decrypter.addIdentity(id);
    } catch {
      throw new BackupError('the identity file holds no age secret key (AGE-SECRET-KEY-1…)');
    }
  }
  if (!fs.existsSync(file)) throw new BackupError(`${file} does not exist`);
  const chunks: Uint8Array[] = [];
  try {
    const input = Readable.toWeb(fs.createReadStream(file)) as ReadableStream<Uint8Array>;
    const plain = await decrypter.decrypt(input);
    for await (const chunk of plain as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  } catch (error) {
    throw new BackupError(`${file} cannot be decrypted: wrong key or passphrase, or a damaged or incomplete file (${(error as Error).message})`);
  }
  return Buffer.concat(chunks);
}

/** Opens an image in memory and checks it is a whole Parasol database. */
function checkedImage(image: Buffer, what: string): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(image);
  } catch {
    throw new BackupError(`${what} does not hold a SQLite database`);
  }
  try {
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new BackupError(`${what} is damaged: integrity_check says ${String(result)}`);
    if (!db.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(PARASOL_TABLE)) throw new BackupError(`${what} is not a Parasol database`);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${what} is damaged (${(error as Error).message})`);
  }
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Copies `source` (open on any connection) into a new file, keyed with `key`
 * when given, then reopens the file and checks it. On any failure the new
 * file is removed.
 */
function exportToFile(source: SqliteDatabase, target: string, key: string | null): void {
  try {
    attachFile(source, target, 'target', key);
    try {
      exportDatabase(source, 'target');
    } finally {
      source.exec('DETACH DATABASE target');
    }
    const written = openSqliteFile(target, key, { mustExist: true });
    try {
      const result = written.pragma('integrity_check', { simple: true });
      if (result !== 'ok') throw new BackupError(`the written database failed integrity_check: ${String(result)}`);
    } finally {
      written.close();
    }
  } catch (error) {
    for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(target + suffix, { force: true });
    throw error;
  }
}

/**
 * Restores a backup into a fresh data directory: decrypts it in memory,
 * checks it (integrity_check, a Parasol schema), and only then writes the
 * database, encrypted with `key` when given. A non-empty target, a wrong
 * key or a damaged file is refused before anything is written.
 */
export async function restoreBackup(file: string, keys: AgeKeys, target: { readonly dataDir: string; readonly dbFile: string; readonly key: string | null }): Promise<void> {
  const dirs = [...new Set([path.resolve(target.dataDir), path.dirname(path.resolve(target.dbFile))])];
  for (const dir of dirs) if (!isEmptyOrMissing(dir)) throw new BackupError(`${dir} is not empty: restore only into a new, empty data directory`);
  const image = checkedImage(await decryptBackup(file, keys), file);
  const created = dirs.filter((d) => !fs.existsSync(d));
  try {
    for (const dir of dirs) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    exportToFile(image, target.dbFile, target.key);
  } catch (error) {
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    image.close();
  }
}

/** Overwrites a file's bytes in place before it goes, so its plain pages do not stay in the filesystem's free blocks (on a disk that writes in place). */
function overwriteAndClose(fd: number): void {
  const size = fs.fstatSync(fd).size;
  const zeros = Buffer.alloc(Math.min(size, 1024 * 1024));
  for (let offset = 0; offset < size; offset += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - offset), offset);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

/**
 * Converts a plain database to an encrypted one, with the instance stopped:
 * the encrypted copy is written next to it page by page through the cipher,
 * checked with integrity_check, then moved over the original, whose bytes
 * (and its -wal's) are then overwritten with zeros.
 */
export function encryptDatabase(dbFile: string, key: string): void {
  if (!fs.existsSync(dbFile)) throw new BackupError(`${dbFile} does not exist`);
  let plain: SqliteDatabase;
  try {
    // Not fileMustExist: ATTACH inherits the connection's open flags, and the encrypted copy is a new file.
    plain = openSqliteFile(dbFile, null);
  } catch {
    throw new BackupError(`${dbFile} cannot be read without a key: it is encrypted already, or not a SQLite database`);
  }
  const copy = `${dbFile}.encrypting`;
  try {
    // Everything in the -wal moves into the main file first, so the copy below reads it all and the -wal can be emptied.
    plain.pragma('wal_checkpoint(TRUNCATE)');
    fs.rmSync(copy, { force: true });
    exportToFile(plain, copy, key);
  } finally {
    plain.close();
  }
  const fsyncFile = (file: string) => {
    const fd = fs.openSync(file, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  };
  fsyncFile(copy);
  const originals = ['', '-wal'].map((suffix) => dbFile + suffix).filter((f) => fs.existsSync(f)).map((f) => fs.openSync(f, 'r+'));
  fs.renameSync(copy, dbFile);
  fs.rmSync(`${dbFile}-wal`, { force: true });
  fs.rmSync(`${dbFile}-shm`, { force: true });
  for (const fd of originals) overwriteAndClose(fd);
}
