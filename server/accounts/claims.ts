import { newId } from '../crypto.js';
import { defineCollection, type CollectionSpec, type Store, type TxScope } from '../store/port.js';

/** How long a claim from the upgrade waits for its member's log-in before its item is left authorless. */
export const CLAIM_TTL_MS = 30 * 86_400_000;

/**
 * What an anonymous item's account id became at the upgrade to blinded authors: the link waits here until the
 * member's next log-in, the only moment their key is at hand, turns it into their blinded id for `boardId`, and goes
 * with the TTL otherwise, leaving the item authorless. Until then it links the account to the item, as before the
 * upgrade: docs/threat-model.md says so.
 */
export interface ClaimDoc<K extends string = string> {
  id: string;
  accountId: string;
  itemKind: K;
  itemId: string;
  /** The board (forum or review board) whose scope the item's blinded id is computed in. */
  boardId: string;
  expiresAt: number;
}

/** A module's own collection of claims (each module keeps its data). */
export function claimsCollection<K extends string>(name: string): CollectionSpec<ClaimDoc<K>> {
  return defineCollection<ClaimDoc<K>>({
    name,
    fields: { accountId: 'string', expiresAt: 'number' },
    indexes: [{ fields: ['accountId', 'expiresAt'] }],
    ttlField: 'expiresAt',
  });
}

const PAGE = 1000;

/**
 * The part of the upgrade to blinded authors that every module does alike: claims are written while items lose
 * their account id, and taken up at log-in. What a claim stands for (which rows change) is the module's business.
 */
export class AccountClaims<K extends string> {
  constructor(
    private readonly store: Store,
    private readonly spec: CollectionSpec<ClaimDoc<K>>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `step` (which migrates one page of items and says how many) in a transaction of its own, again and again
   * until it finds nothing: a second start, or one after a crash, finds only what is left.
   */
  async migrate(step: (tx: TxScope) => Promise<number>): Promise<number> {
    let moved = 0;
    for (;;) {
      const n = await this.store.transaction(step);
      if (n === 0) return moved;
      moved += n;
    }
  }

  /** Keeps the link in a claim, in the transaction that erases the account id from the item; returns the claim's id. */
  async issueIn(tx: TxScope, link: Omit<ClaimDoc<K>, 'id' | 'expiresAt'>): Promise<string> {
    const id = newId();
    await tx.collection(this.spec).insert({ id, ...link, expiresAt: this.now() + CLAIM_TTL_MS });
    return id;
  }

  /**
   * Takes up the account's claims at log-in: `takeUp` writes the blinded rows of one claim in a transaction of its
   * own, and the claims, which are account-side rows, are erased afterwards in others, so that no transaction joins
   * an account to a blinded id. `takeUp` must be idempotent: a crash between the two leaves the claim for next time.
   */
  async redeem(accountId: string, takeUp: (tx: TxScope, claim: ClaimDoc<K>) => Promise<void>): Promise<number> {
    const claims = this.store.collection(this.spec);
    const list = (await claims.find({ where: { accountId }, orderBy: { field: 'expiresAt' }, limit: PAGE })).items;
    for (const claim of list) await this.store.transaction((tx) => takeUp(tx, claim));
    for (const claim of list) await claims.delete(claim.id);
    return list.length;
  }

  /** A deleted account's unredeemed claims go; `drop`, when given, removes each claimed item too. */
  async forgetIn(tx: TxScope, accountId: string, drop?: (tx: TxScope, claim: ClaimDoc<K>) => Promise<void>): Promise<void> {
    const claims = tx.collection(this.spec);
    if (drop) {
      for (;;) {
        const page = await claims.find({ where: { accountId }, orderBy: { field: 'expiresAt' }, limit: PAGE });
        for (const claim of page.items) {
          await drop(tx, claim);
          await claims.delete(claim.id);
        }
        if (!page.next) break;
      }
    }
    await claims.deleteWhere({ accountId });
  }
}
