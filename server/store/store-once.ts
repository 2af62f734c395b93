import { DuplicateKeyError, type Collection, type Doc } from './port.js';

/**
 * The document `id` as stored, made with `make` and stored when there is none. Processes starting together on a new
 * database may each make one: the first stored wins and the others get it, so that every process signs or hashes
 * with the same key.
 */
export async function storeOnce<T extends Doc>(col: Collection<T>, id: string, make: () => T | Promise<T>): Promise<T> {
  const stored = await col.get(id);
  if (stored) return stored;
  try {
    return await col.insert(await make());
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    const first = await col.get(id);
    if (!first) throw error;
    return first;
  }
}
