/**
 * Tells what this process keeps in memory that another process has written to the database, so that answers
 * kept in memory (server/http/response-cache.ts) drop as the store's kept documents do, and services that keep a
 * copy of a few collections (word filters, areas: core/kept-copy.ts) read them again.
 *
 * A store registers how it looks (SQLite reads `PRAGMA data_version`, at most once per event-loop turn) and
 * counts what it saw; a cache that answers without reading the store calls `foreignWrites()` before each
 * answer and drops everything when the count moved. Bound: a commit by another process shows from the first
 * request this process handles in an event-loop turn after the commit, so a reader who got the writer's
 * response (sent after the commit) sees the change.
 */
type Look = () => void;

const lookers = new Set<Look>();
/** Foreign writes to collections that some answer kept in memory shows. */
let seen = 0;
/** Foreign writes whose collections are not known (a change of the schema, or a store that cannot vouch). */
let anyCollection = 0;
const byCollection = new Map<string, number>();

/** For a store: how to look, and a function that stops it being asked (on close). */
export function registerLook(look: Look): () => void {
  lookers.add(look);
  return () => lookers.delete(look);
}

/**
 * For a store that has seen another process's write: to these collections (null: any collection may have
 * changed), and whether an answer kept in memory may show one of them (CollectionSpec.shownInAnswers).
 */
export function foreignWriteSeen(collections: Iterable<string> | null = null, shown = true): void {
  if (shown) seen++;
  if (collections === null) {
    anyCollection++;
    return;
  }
  for (const name of collections) byCollection.set(name, (byCollection.get(name) ?? 0) + 1);
}

/** Asks every open store to look, then returns how many foreign writes this process has seen so far. */
export function foreignWrites(): number {
  for (const look of lookers) look();
  return seen;
}

/**
 * Asks every open store to look, then returns a count that moves whenever another process may have written to one
 * of these collections (and only then, up to writes to unknown collections).
 */
export function foreignWritesTo(collections: readonly string[]): number {
  for (const look of lookers) look();
  let count = anyCollection;
  for (const name of collections) count += byCollection.get(name) ?? 0;
  return count;
}
