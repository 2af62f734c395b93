/**
 * Blob collections on MongoDB: collection `b_<name>` of plain chunk documents (GridFS's layout without its files
 * collection, which would need an id of its own per variant): the bytes as BinData, under an index on the chunk and
 * one on the context.
 */
import { Binary, type Db, type Collection as MongoCollection } from 'mongodb';
import { BLOB_CHUNK_BYTES, type BlobRef, type Blobs, type BlobSpec } from './port.js';
import { assertCollectionName } from './query.js';

interface ChunkDoc {
  blobId: string;
  variant: string;
  idx: number;
  contextKind: string;
  contextId: string;
  bytes: Binary;
}

export async function declareMongoBlobs(db: Db, spec: BlobSpec): Promise<MongoBlobs> {
  assertCollectionName(spec.name);
  const chunks = db.collection<ChunkDoc>(`b_${spec.name}`);
  await chunks.createIndexes([
    { key: { blobId: 1, variant: 1, idx: 1 }, name: 'chunk', unique: true },
    { key: { contextKind: 1, contextId: 1 }, name: 'context' },
  ]);
  return new MongoBlobs(chunks);
}

export class MongoBlobs implements Blobs {
  constructor(private readonly chunks: MongoCollection<ChunkDoc>) {}

  async put(ref: BlobRef, bytes: Uint8Array): Promise<void> {
    // Written first under a fresh variant name, then swapped: a reader never sees half a variant.
    const staging = `${ref.variant}.${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
    const docs: ChunkDoc[] = [];
    for (let i = 0, offset = 0; offset < bytes.length || i === 0; i++, offset += BLOB_CHUNK_BYTES) {
      const chunk = Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(BLOB_CHUNK_BYTES, bytes.length - offset));
      docs.push({ blobId: ref.blobId, variant: staging, idx: i, contextKind: ref.contextKind, contextId: ref.contextId, bytes: new Binary(chunk) });
    }
    await this.chunks.insertMany(docs);
    await this.chunks.deleteMany({ blobId: ref.blobId, variant: ref.variant });
    await this.chunks.updateMany({ blobId: ref.blobId, variant: staging }, { $set: { variant: ref.variant } });
  }

  async get(blobId: string, variant: string): Promise<Buffer | null> {
    const docs = await this.chunks.find({ blobId, variant }).sort({ idx: 1 }).toArray();
    return docs.length === 0 ? null : Buffer.concat(docs.map((doc) => Buffer.from(doc.bytes.buffer)));
  }

  async deleteBlob(blobId: string): Promise<number> {
    return (await this.chunks.deleteMany({ blobId })).deletedCount;
  }

  async deleteContext(contextKind: string, contextId: string): Promise<number> {
    return (await this.chunks.deleteMany({ contextKind, contextId })).deletedCount;
  }

  async usage(): Promise<{ bytes: number; chunks: number }> {
    const [row] = await this.chunks
      .aggregate<{ bytes: number; chunks: number }>([{ $group: { _id: null, bytes: { $sum: { $binarySize: '$bytes' } }, chunks: { $sum: 1 } } }])
      .toArray();
    return { bytes: row?.bytes ?? 0, chunks: row?.chunks ?? 0 };
  }
}
