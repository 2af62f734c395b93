/**
 * Blob collections on PostgreSQL: table `b_<name>` with one row per chunk, its bytes a bytea (TOASTed like any
 * large value, and gone with its row; never large objects, which outlive the row that names them).
 */
import type pg from 'pg';
import { BLOB_CHUNK_BYTES, type BlobRef, type Blobs, type BlobSpec } from '../port.js';
import { assertCollectionName } from '../query.js';

const blobTable = (name: string): string => `"b_${name}"`;

/** Runs inside declare's transaction. */
export async function declarePostgresBlobs(client: pg.PoolClient, spec: BlobSpec): Promise<void> {
  assertCollectionName(spec.name);
  const t = blobTable(spec.name);
  await client.query(`CREATE TABLE IF NOT EXISTS ${t} (
    blob_id text COLLATE "C" NOT NULL, variant text COLLATE "C" NOT NULL, idx integer NOT NULL,
    context_kind text COLLATE "C" NOT NULL, context_id text COLLATE "C" NOT NULL, bytes bytea NOT NULL,
    PRIMARY KEY (blob_id, variant, idx))`);
  await client.query(`CREATE INDEX IF NOT EXISTS "b_${spec.name}__context" ON ${t} (context_kind, context_id)`);
}

export class PostgresBlobs implements Blobs {
  private readonly t: string;

  constructor(
    private readonly pool: pg.Pool,
    spec: BlobSpec,
  ) {
    this.t = blobTable(spec.name);
  }

  async put(ref: BlobRef, bytes: Uint8Array): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(`DELETE FROM ${this.t} WHERE blob_id = $1 AND variant = $2`, [ref.blobId, ref.variant]);
      for (let i = 0, offset = 0; offset < bytes.length || i === 0; i++, offset += BLOB_CHUNK_BYTES) {
        const chunk = Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(BLOB_CHUNK_BYTES, bytes.length - offset));
        await client.query(
          `INSERT INTO ${this.t} (blob_id, variant, idx, context_kind, context_id, bytes) VALUES ($1, $2, $3, $4, $5, $6)`,
          [ref.blobId, ref.variant, i, ref.contextKind, ref.contextId, chunk],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async get(blobId: string, variant: string): Promise<Buffer | null> {
    const { rows } = await this.pool.query<{ bytes: Buffer }>(`SELECT bytes FROM ${this.t} WHERE blob_id = $1 AND variant = $2 ORDER BY idx`, [blobId, variant]);
    return rows.length === 0 ? null : Buffer.concat(rows.map((row) => row.bytes));
  }

  async deleteBlob(blobId: string): Promise<number> {
    return (await this.pool.query(`DELETE FROM ${this.t} WHERE blob_id = $1`, [blobId])).rowCount ?? 0;
  }

  async deleteContext(contextKind: string, contextId: string): Promise<number> {
    return (await this.pool.query(`DELETE FROM ${this.t} WHERE context_kind = $1 AND context_id = $2`, [contextKind, contextId])).rowCount ?? 0;
  }

  async usage(): Promise<{ bytes: number; chunks: number }> {
    const { rows } = await this.pool.query<{ bytes: string; chunks: string }>(`SELECT coalesce(sum(length(bytes)), 0) AS bytes, count(*) AS chunks FROM ${this.t}`);
    return { bytes: Number(rows[0]?.bytes ?? 0), chunks: Number(rows[0]?.chunks ?? 0) };
  }
}
