import { foreignWrites } from '../core/foreign-writes.js';

/**
 * A bounded in-memory cache whose entries carry a tag (such as a thread id) and a lifetime.
 *
 * Whoever writes what an entry was made from calls invalidate(tag) (or
 * invalidate(null) for everything), which drops the tag's entries at once.
 * A value computed while any invalidation happened is refused by set(), so
 * a slow read racing a write can never put the old state back: take version()
 * before reading, pass it to set(). The least recently used entry goes first
 * when the cache is full. A write by another process on the same database
 * (see core/foreign-writes.ts) drops every entry before the next read.
 */
export interface TaggedCache<T> {
  get(key: string): T | undefined;
  version(): number;
  /** Keeps `value` unless something was invalidated since `version` was taken; returns whether it was kept. */
  set(key: string, tag: string, value: T, version: number): boolean;
  invalidate(tag: string | null): void;
  readonly size: number;
}

interface Entry<T> {
  readonly tag: string;
  readonly value: T;
  readonly expires: number;
}

export function createTaggedCache<T>(options: { maxEntries: number; ttlMs: number; now?: () => number }): TaggedCache<T> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<T>>();
  const byTag = new Map<string, Set<string>>();
  let changes = 0;
  let foreignSeen = foreignWrites();

  /** Which tags another process's write touched is not known here: everything goes. */
  function dropForeign(): void {
    const count = foreignWrites();
    if (count === foreignSeen) return;
    foreignSeen = count;
    changes++;
    entries.clear();
    byTag.clear();
  }

  function drop(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    const keys = byTag.get(entry.tag);
    keys?.delete(key);
    if (keys?.size === 0) byTag.delete(entry.tag);
  }

  return {
    get(key) {
      dropForeign();
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires <= now()) {
        drop(key);
        return undefined;
      }
      // Map keeps insertion order: re-inserting makes this the most recently used.
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },

    version: () => {
      dropForeign();
      return changes;
    },

    set(key, tag, value, version) {
      dropForeign();
      if (version !== changes) return false;
      drop(key);
      entries.set(key, { tag, value, expires: now() + options.ttlMs });
      let keys = byTag.get(tag);
      if (!keys) byTag.set(tag, (keys = new Set()));
      keys.add(key);
      while (entries.size > options.maxEntries) drop(entries.keys().next().value!);
      return true;
    },

    invalidate(tag) {
      changes++;
      if (tag === null) {
        entries.clear();
        byTag.clear();
        return;
      }
      for (const key of [...(byTag.get(tag) ?? [])]) drop(key);
    },

    get size() {
      return entries.size;
    },
  };
}
