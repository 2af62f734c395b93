/**
 * Blob collections on SQLite: table `b_<name>` with one row per chunk, its bytes a BLOB. The chunks sit in the
 * same file as the documents, so SQLCipher encrypts them and secure_delete overwrites them when they are deleted;
 * a deleting write asks for the WAL checkpoint that removes the old frames (see SqliteStore.scheduleCheckpoint).
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { BLOB_CHUNK_BYTES, type BlobRef, type Blobs, type BlobSpec } from './port.js';
import { assertCollectionName } from './query.js';

type Db = Database.Database;

export const blobTable = (name: string): string => `"b_${name}"`;

export function declareSqliteBlobs(db: Db, spec: BlobSpec): void {
  assertCollectionName(spec.name);
  const t = blobTable(spec.name);
  // A rowid table: chunks are large, and WITHOUT ROWID tables are slow with rows past a twentieth of a page.
  db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
    blob_id TEXT NOT NULL, variant TEXT NOT NULL, idx INTEGER NOT NULL,
    context_kind TEXT NOT NULL, context_id TEXT NOT NULL, bytes BLOB NOT NULL)`);
  db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS "b_${spec.name}__chunk" ON ${t} (blob_id, variant, idx)`);
  db.exec(`CREATE INDEX IF NOT EXISTS "b_${spec.name}__context" ON ${t} (context_kind, context_id)`);
}

/** How the store runs a synchronous step: behind its gate, noting writes and removals. */
export interface SqliteBlobRunner {
  run<R>(op: () => R, write: 'read' | 'write' | 'remove'): Promise<R>;
}

export class SqliteBlobs implements Blobs {
  private readonly insertChunk: Database.Statement;
  private readonly deleteVariant: Database.Statement;
  private readonly readChunks: Database.Statement;
  private readonly deleteOne: Database.Statement;
  private readonly deleteByContext: Database.Statement;
  private readonly totals: Database.Statement;

  constructor(
    private readonly db: Db,
    spec: BlobSpec,
    private readonly runner: SqliteBlobRunner,
  ) {
    const t = blobTable(spec.name);
    this.insertChunk = db.prepare(`INSERT INTO ${t} (blob_id, variant, idx, context_kind, context_id, bytes) VALUES (?, ?, ?, ?, ?, ?)`);
    this.deleteVariant = db.prepare(`DELETE FROM ${t} WHERE blob_id = ? AND variant = ?`);
    this.readChunks = db.prepare(`SELECT bytes FROM ${t} WHERE blob_id = ? AND variant = ? ORDER BY idx`).pluck();
    this.deleteOne = db.prepare(`DELETE FROM ${t} WHERE blob_id = ?`);
    this.deleteByContext = db.prepare(`DELETE FROM ${t} WHERE context_kind = ? AND context_id = ?`);
    this.totals = db.prepare(`SELECT coalesce(sum(length(bytes)), 0) AS bytes, count(*) AS chunks FROM ${t}`);
  }

  put(ref: BlobRef, bytes: Uint8Array): Promise<void> {
    const write = this.db.transaction(() => {
      this.deleteVariant.run(ref.blobId, ref.variant);
      for (let i = 0, offset = 0; offset < bytes.length || i === 0; i++, offset += BLOB_CHUNK_BYTES) {
        const chunk = Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(BLOB_CHUNK_BYTES, bytes.length - offset));
        this.insertChunk.run(ref.blobId, ref.variant, i, ref.contextKind, ref.contextId, chunk);
      }
    });
    // 'remove': a replaced variant's old chunks are removed data too.
    return this.runner.run(() => write(), 'remove');
  }

  get(blobId: string, variant: string): Promise<Buffer | null> {
    return this.runner.run(() => {
      const chunks = this.readChunks.all(blobId, variant) as Buffer[];
      return chunks.length === 0 ? null : Buffer.concat(chunks);
    }, 'read');
  }

  deleteBlob(blobId: string): Promise<number> {
    return this.runner.run(() => this.deleteOne.run(blobId).changes, 'remove');
  }

  deleteContext(contextKind: string, contextId: string): Promise<number> {
    return this.runner.run(() => this.deleteByContext.run(contextKind, contextId).changes, 'remove');
  }

  usage(): Promise<{ bytes: number; chunks: number }> {
    return this.runner.run(() => this.totals.get() as { bytes: number; chunks: number }, 'read');
  }
}
