import { DuplicateKeyError, type Store } from '../../server/store/port.js';
import { apSeenSignaturesCollection } from '../federation.collections.js';
import { DATE_WINDOW_MS } from './request.js';

/** As long as a request's Date can be valid, whatever side of our clock it was on. */
const REMEMBERED_MS = 2 * DATE_WINDOW_MS;

export interface ReplayCacheDeps {
  readonly store: Store;
  /** The instance's keyed hash: what is stored of a signature, so a copy of the database cannot match a captured request. */
  readonly keyedHash: (purpose: string, text: string) => string;
  /** How many signatures this process remembers by itself (the store remembers them all). */
  readonly maxLocal?: number;
}

/**
 * Remembers the signatures of accepted requests for as long as their Date is valid, so that none is accepted twice
 * by any process of the instance (another worker, another machine).
 *
 * The store holds the keyed hash of each accepted signature with its expiry and nothing else (not the body, the
 * sender or the activity), and an insert of a hash already there is refused: the one atomic step that decides which
 * of two processes receiving the same request at once accepts it. Each process also keeps the hashes it has
 * claimed or seen refused, so that a replay to the same process is turned away before its key is fetched or its
 * signature checked.
 */
export class ReplayCache {
  private readonly local = new Map<string, number>();
  private readonly maxLocal: number;
  private readonly seen;

  constructor(private readonly deps: ReplayCacheDeps) {
    this.maxLocal = deps.maxLocal ?? 100_000;
    this.seen = deps.store.collection(apSeenSignaturesCollection);
  }

  /** Whether this process has already seen the signature accepted: cheap, before anything is verified. */
  seenHere(signature: string, now = Date.now()): boolean {
    const until = this.local.get(this.keyOf(signature));
    return until !== undefined && until > now;
  }

  /** Takes the signature as accepted, once the request is verified; false when any process had taken it already. */
  async claim(signature: string, now = Date.now()): Promise<boolean> {
    const id = this.keyOf(signature);
    const expiresAt = now + REMEMBERED_MS;
    let first = true;
    try {
      await this.seen.insert({ id, expiresAt });
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      first = false;
    }
    this.remember(id, expiresAt, now);
    return first;
  }

  private keyOf(signature: string): string {
    return this.deps.keyedHash('inbox-signature', signature);
  }

  private remember(id: string, until: number, now: number): void {
    if (this.local.size >= this.maxLocal) for (const [key, expiry] of this.local) if (expiry <= now) this.local.delete(key);
    // Past the size bound the oldest go first (Map keeps insertion order); the store still refuses them.
    while (this.local.size >= this.maxLocal) this.local.delete(this.local.keys().next().value!);
    this.local.set(id, until);
  }
}
