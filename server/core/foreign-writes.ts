/**
 * Tells what this process keeps in memory that another process has written to the database, so that answers
 * kept in memory (server/http/response-cache.ts) drop as the store's kept documents do.
 *
 * A store registers how it looks (SQLite reads `PRAGMA data_version`, at most once per event-loop turn) and
 * counts what it saw; a cache that answers without reading the store calls `foreignWrites()` before each
 * answer and drops everything when the count moved. Bound: a commit by another process shows from the first
 * request this process handles in an event-loop turn after the commit, so a reader who got the writer's
 * response (sent after the commit) sees the change.
 */
type Look = () => void;

const lookers = new Set<Look>();
let seen = 0;

/** For a store: how to look, and a function that stops it being asked (on close). */
export function registerLook(look: Look): () => void {
  lookers.add(look);
  return () => lookers.delete(look);
}

/** For a store that has seen another process's write. */
export function foreignWriteSeen(): void {
  seen++;
}

/** Asks every open store to look, then returns how many foreign writes this process has seen so far. */
export function foreignWrites(): number {
  for (const look of lookers) look();
  return seen;
}
