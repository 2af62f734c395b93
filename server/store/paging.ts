import type { Page } from './port.js';

/**
 * Visits every item of a paginated query, one page at a time, so that no loop
 * holds a whole collection in memory. `read` gets the cursor of the page to read.
 */
export async function eachPage<T>(read: (after: string | null) => Promise<Page<T>>, visit: (item: T) => unknown): Promise<void> {
  let after: string | null = null;
  do {
    const page: Page<T> = await read(after);
    for (const item of page.items) await visit(item);
    after = page.next;
  } while (after);
}

/** Every item of a paginated query, read a page at a time: for lists that stay small (an instance's word filters). */
export async function allItems<T>(read: (after: string | null) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  await eachPage(read, (item) => all.push(item));
  return all;
}
