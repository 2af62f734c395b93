import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The settings that hold keys: DATABASE_KEY (or DATABASE_KEY_FILE) encrypts
 * the SQLite database, PARASOL_SECRET_FILE keys the review boards' digests.
 * A key kept inside the data directory would be seized with it and protect
 * nothing, so such a file is refused.
 */
export const secretEnvSchema = z.object({
  DATABASE_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  DATABASE_KEY_FILE: z.string().min(1).optional(),
  PARASOL_SECRET_FILE: z.string().min(1).optional(),
});

export interface SecretSettings {
  /** Encrypts the SQLite file when set; never logged. */
  readonly databaseKey: string | null;
  /** Read from PARASOL_SECRET_FILE: the digest keys of the review boards derive from it. Null: a secret kept in the database. */
  readonly instanceSecret: Buffer | null;
}

export class SecretSettingsError extends Error {
  override name = 'SecretSettingsError';
}

const MIN_SECRET_BYTES = 32;

/** The real path of a file or of the nearest existing folder above it, so symlinks cannot hide a file inside DATA_DIR. */
function realPathOf(file: string): string {
  const absolute = path.resolve(file);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(realPathOf(parent), path.basename(absolute));
  }
}

const isInside = (file: string, dir: string) => {
  const relative = path.relative(realPathOf(dir), realPathOf(file));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

function readSecretFile(variable: string, file: string, protectedDirs: readonly string[]): Buffer {
  for (const dir of protectedDirs) {
    if (isInside(file, dir)) {
      throw new SecretSettingsError(`${variable}: ${file} is inside ${dir}, which holds the database; a key seized with the data protects nothing. Keep it on another mount (or one filled at boot).`);
    }
  }
  try {
    return readFileSync(file);
  } catch (error) {
    throw new SecretSettingsError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A key file's content without the line end an editor adds. */
const trimLineEnd = (content: Buffer) => content.toString('utf8').replace(/\r?\n$/, '');

export function loadSecretSettings(env: z.infer<typeof secretEnvSchema>, dataDir: string, databaseUrl: string): SecretSettings {
  const sqliteFile = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : null;
  const protectedDirs = [dataDir, ...(sqliteFile && sqliteFile !== ':memory:' ? [path.dirname(path.resolve(sqliteFile))] : [])];

  if (env.DATABASE_KEY !== undefined && env.DATABASE_KEY_FILE !== undefined) {
    throw new SecretSettingsError('DATABASE_KEY and DATABASE_KEY_FILE: set only one');
  }
  let databaseKey = env.DATABASE_KEY ?? null;
  if (env.DATABASE_KEY_FILE !== undefined) {
    databaseKey = trimLineEnd(readSecretFile('DATABASE_KEY_FILE', env.DATABASE_KEY_FILE, protectedDirs));
    if (databaseKey.length < 16) throw new SecretSettingsError('DATABASE_KEY_FILE: the key must be at least 16 characters');
  }
  if (databaseKey !== null) {
    if (sqliteFile === null) {
      throw new SecretSettingsError(
        'DATABASE_KEY encrypts only a SQLite database. For MongoDB or PostgreSQL, use the database server\'s encryption at rest or full-disk encryption of its volume (see docs/deployment.md), and unset DATABASE_KEY.',
      );
    }
    if (sqliteFile === ':memory:') throw new SecretSettingsError('DATABASE_KEY: an in-memory database has nothing on disk to encrypt; unset it');
  }

  let instanceSecret: Buffer | null = null;
  if (env.PARASOL_SECRET_FILE !== undefined) {
    const content = Buffer.from(trimLineEnd(readSecretFile('PARASOL_SECRET_FILE', env.PARASOL_SECRET_FILE, protectedDirs)), 'utf8');
    if (content.length < MIN_SECRET_BYTES) {
      throw new SecretSettingsError(`PARASOL_SECRET_FILE: the secret must be at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`);
    }
    instanceSecret = content;
  }
  return { databaseKey, instanceSecret };
}
