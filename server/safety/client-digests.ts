import type { Store } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import { checkinsCollection, type CheckinDoc, type CheckinStatus } from './safety.collections.js';

type WithDigest = CheckinDoc & { clientDigest?: unknown };

/**
 * Check-ins stored before this version hold `clientDigest`, a keyed hash of a client's phone number whose key sat in
 * the same database: a seized copy let the number be found by trying them all. Every start rewrites such rows
 * without it, rather than leaving them until the retention sweep (up to three days after the check-in ends). Once no
 * row has it this reads the check-ins and writes nothing; they are few, as each lives days at most.
 */
export async function dropClientDigests(store: Store): Promise<number> {
  const checkins = store.collection(checkinsCollection);
  let dropped = 0;
  for (const status of ['open', 'alerted', 'closed'] satisfies CheckinStatus[]) {
    await eachPage(
      (after) => checkins.find({ where: { status }, orderBy: { field: 'deadline' }, limit: 500, after }),
      async (doc: WithDigest) => {
        if (!('clientDigest' in doc)) return;
        const { clientDigest: _dropped, ...rest } = doc;
        await checkins.upsert(rest);
        dropped += 1;
      },
    );
  }
  return dropped;
}
