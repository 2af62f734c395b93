import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { parseDatabaseUrl } from '../store/open-store.js';
import { projectRoot } from '../paths.js';

/** The version the instance runs, as package.json names it. */
export const parasolVersion = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

export interface DiskSpace {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/** Stop counting a data directory after this many entries: the page must answer, and the total then reads "at least". */
const MAX_ENTRIES = 100_000;

/**
 * Measurements of the machine and the database for the admins' storage and health pages. Each answers null when it
 * cannot tell (no data directory, a database it cannot size) rather than failing the page.
 */
export class SystemFacts {
  constructor(
    private readonly config: { readonly dataDir: string; readonly databaseUrl: string },
    private readonly engine: 'sqlite' | 'postgres' | 'mongodb',
  ) {}

  /** The database's size on disk: the SQLite file with its journal, or what PostgreSQL reports for the database. */
  async databaseBytes(): Promise<number | null> {
    const target = parseDatabaseUrl(this.config.databaseUrl, this.config.dataDir);
    if (target.kind === 'sqlite') {
      if (target.path === ':memory:') return null;
      let total = 0;
      for (const suffix of ['', '-wal', '-shm']) total += (await statOrNull(target.path + suffix))?.size ?? 0;
      return total;
    }
    if (target.kind === 'postgres' && this.engine === 'postgres') return postgresSize(target.url);
    return null;
  }

  /** Everything under the data directory (database, secrets, uploads), counted without following links. */
  async dataDirectoryBytes(): Promise<{ readonly bytes: number; readonly complete: boolean } | null> {
    if (!(await statOrNull(this.config.dataDir))?.isDirectory()) return null;
    let bytes = 0;
    let entries = 0;
    const pending = [this.config.dataDir];
    while (pending.length > 0 && entries < MAX_ENTRIES) {
      const dir = pending.pop()!;
      let listing: fs.Dirent[];
      try {
        listing = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of listing) {
        entries += 1;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) pending.push(full);
        else if (entry.isFile()) bytes += (await statOrNull(full))?.size ?? 0;
      }
    }
    return { bytes, complete: pending.length === 0 };
  }

  /** Free and total space of the file system holding the data directory (or its nearest existing parent). */
  async disk(): Promise<DiskSpace | null> {
    let dir = path.resolve(this.config.dataDir);
    for (;;) {
      try {
        const s = await fs.promises.statfs(dir);
        return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      } catch {
        const parent = path.dirname(dir);
        if (parent === dir) return null;
        dir = parent;
      }
    }
  }
}

async function statOrNull(file: string): Promise<fs.Stats | null> {
  try {
    return await fs.promises.lstat(file);
  } catch {
    return null;
  }
}

/** One short connection: the admin's page asks rarely, and the store's pool is not to be held up by it. */
async function postgresSize(url: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const result = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
    return Number(result.rows[0]?.bytes ?? NaN) || null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}
