/**
 * What an attacker holding a copy of the data directory can read: every
 * file's raw bytes, and the terms of every full-text index in the copy.
 */
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface Seized {
  /** Every file of the data directory by its relative path, as copied. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** The terms of every FTS5 index of the database, read from the copy. */
  readonly terms: ReadonlySet<string>;
}

function listFiles(root: string, dir = root): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(root, full);
    return entry.isFile() ? [path.relative(root, full)] : [];
  });
}

/**
 * Copies the data directory (the database, its -wal and -shm, logs, anything
 * else) and reads it as an attacker would. The copy is read, then removed.
 */
export function seize(dataDir: string, database = 'parasol.sqlite'): Seized {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-seized-'));
  try {
    const files = new Map<string, Buffer>();
    for (const name of listFiles(dataDir)) {
      const bytes = fs.readFileSync(path.join(dataDir, name));
      files.set(name, bytes);
      fs.mkdirSync(path.dirname(path.join(copy, name)), { recursive: true });
      fs.writeFileSync(path.join(copy, name), bytes);
    }
    const terms = new Set<string>();
    if (files.has(database)) {
      const db = new Database(path.join(copy, database));
      try {
        const indexes = db
          .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5(%'`)
          .pluck()
          .all() as string[];
        for (const [i, index] of indexes.entries()) {
          db.exec(`CREATE VIRTUAL TABLE temp.vocab_${i} USING fts5vocab(main, '${index}', 'row')`);
          for (const term of db.prepare(`SELECT term FROM temp.vocab_${i}`).pluck().all() as string[]) terms.add(term);
        }
      } finally {
        db.close();
      }
    }
    return { files, terms };
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** Where each marker was found: file names holding its bytes, and "index" when it is a term of a text index. */
export function traces(seized: Seized, markers: readonly string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const marker of markers) {
    const places = [...seized.files].filter(([, bytes]) => bytes.includes(marker)).map(([name]) => name);
    if (seized.terms.has(marker)) places.push('index');
    if (places.length > 0) found.set(marker, places);
  }
  return found;
}

/** Describes traces for an assertion message. */
export function describeTraces(found: ReadonlyMap<string, string[]>): string {
  return [...found].map(([marker, places]) => `${marker} in ${places.join(', ')}`).join('; ');
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Unique markers: random lowercase words whose first letters all differ and
 * are not `reserved`. The text index stores each term as the part that
 * differs from the term before it, so a marker that shared a prefix with a
 * neighbouring term would not be found whole in the bytes.
 */
export class Markers {
  private readonly free: string[];

  constructor(reserved = '') {
    this.free = [...LETTERS].filter((letter) => !reserved.includes(letter));
  }

  next(): string {
    if (this.free.length === 0) throw new Error('out of marker initials');
    const [initial] = this.free.splice(randomInt(this.free.length), 1) as [string];
    let word = initial;
    while (word.length < 14) word += LETTERS[randomInt(LETTERS.length)];
    return word;
  }
}
