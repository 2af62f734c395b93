import { AccountClaims } from '../accounts/claims.js';
import type { MemberKey } from '../core/member-key.js';
import { newId } from '../crypto.js';
import type { Store, TxScope } from '../store/port.js';
import { ensureReplyMark } from './anonymous-identities.js';
import { blindOnBoard } from './authorship.js';
import type { ForumChanges } from './changes.js';
import { forumClaimsCollection, postsCollection, reactionsCollection, revisionsCollection, threadsCollection, type ClaimDoc, type ClaimKind } from './forums.collections.js';
import { reactionId } from './post-writes.js';

const PAGE = 200;

/**
 * The upgrade to blinded authors. Before it, anonymous posts and threads, and every reaction, named their account.
 * At start-up each such link becomes a claim and the account id leaves the item; the member's next log-in, the only
 * moment their key is at hand, turns their claims into blinded ids. Claims nobody takes up expire (CLAIM_TTL_MS) and
 * leave their items authorless. Until then the claims still link: docs/threat-model.md says so.
 */
export class ForumClaims {
  private readonly claims: AccountClaims<ClaimKind>;

  constructor(
    store: Store,
    private readonly changes: ForumChanges,
  ) {
    this.claims = new AccountClaims(store, forumClaimsCollection);
  }

  /**
   * Idempotent: items are found by what only unmigrated ones lack (an anonymous post's blindBoardId, a reaction's
   * reactorId), and each page is migrated in one transaction, so a second run, or one after a crash, finds only
   * what is left.
   */
  async migrate(): Promise<number> {
    const moved = await this.claims.migrate(async (tx) => (await this.migratePosts(tx)) + (await this.migrateThreads(tx)) + (await this.migrateReactions(tx)));
    if (moved > 0) this.changes.changed(null);
    return moved;
  }

  /** Called at log-in with the member's key: their claims become their blinded ids, and the claims go. */
  async redeem(accountId: string, key: MemberKey): Promise<number> {
    const taken = await this.claims.redeem(accountId, (tx, claim) => this.redeemOne(tx, claim, key));
    if (taken > 0) this.changes.changed(null);
    return taken;
  }

  /** A deleted account's unredeemed claims go; their items stay, authorless. */
  forgetIn(tx: TxScope, accountId: string): Promise<void> {
    return this.claims.forgetIn(tx, accountId);
  }

  private async migratePosts(tx: TxScope): Promise<number> {
    const posts = tx.collection(postsCollection);
    const page = await posts.find({ where: { anonymous: true, blindBoardId: null }, orderBy: { field: 'createdAt' }, limit: PAGE });
    for (const p of page.items) {
      if (p.authorId) await this.claim(tx, { accountId: p.authorId, itemKind: 'post', itemId: p.id, boardId: p.boardId });
      await posts.patch(p.id, { authorId: null, blindAuthor: null, blindBoardId: p.boardId });
      await tx.collection(revisionsCollection).deleteWhere({ postId: p.id });
    }
    return page.items.length;
  }

  private async migrateThreads(tx: TxScope): Promise<number> {
    const threads = tx.collection(threadsCollection);
    const page = await threads.find({ where: { anonymous: true, blindBoardId: null }, orderBy: { field: 'createdAt' }, limit: PAGE });
    for (const t of page.items) {
      if (t.authorId) await this.claim(tx, { accountId: t.authorId, itemKind: 'thread', itemId: t.id, boardId: t.boardId });
      await threads.patch(t.id, { authorId: null, blindAuthor: null, blindBoardId: t.boardId });
    }
    return page.items.length;
  }

  /** A reaction's id named its account too: the reaction is stored again under a fresh id until redeemed. */
  private async migrateReactions(tx: TxScope): Promise<number> {
    const reactions = tx.collection(reactionsCollection);
    const page = await reactions.find({ where: { reactorId: null }, orderBy: { field: 'createdAt' }, limit: PAGE });
    for (const r of page.items) {
      await reactions.delete(r.id);
      const post = await tx.collection(postsCollection).get(r.postId);
      if (!post || !r.accountId) continue;
      const id = newId();
      const claimId = await this.claim(tx, { accountId: r.accountId, itemKind: 'reaction', itemId: id, boardId: post.boardId });
      await reactions.insert({ id, postId: r.postId, threadId: r.threadId, reactorId: `claim:${claimId}`, kind: r.kind, createdAt: r.createdAt });
    }
    return page.items.length;
  }

  private claim(tx: TxScope, link: Omit<ClaimDoc, 'id' | 'expiresAt'>): Promise<string> {
    return this.claims.issueIn(tx, link);
  }

  private async redeemOne(tx: TxScope, claim: ClaimDoc, key: MemberKey): Promise<void> {
    const blindAuthor = blindOnBoard(key, claim.boardId);
    switch (claim.itemKind) {
      case 'post': {
        const post = await tx.collection(postsCollection).patch(claim.itemId, { blindAuthor, blindBoardId: claim.boardId });
        // Replies from the post's own time on count as new: a mark from the time of this log-in would date it.
        if (post) await ensureReplyMark(tx, blindAuthor, post.createdAt);
        break;
      }
      case 'thread': {
        const thread = await tx.collection(threadsCollection).patch(claim.itemId, { blindAuthor, blindBoardId: claim.boardId });
        if (thread) await ensureReplyMark(tx, blindAuthor, thread.createdAt);
        break;
      }
      case 'reaction': {
        const reactions = tx.collection(reactionsCollection);
        const r = await reactions.get(claim.itemId);
        if (!r) break;
        await reactions.delete(r.id);
        const id = reactionId(r.postId, blindAuthor, r.kind);
        // The member reacted the same way again since the upgrade: the older reaction is a duplicate of it.
        if (await reactions.get(id)) {
          const posts = tx.collection(postsCollection);
          const post = await posts.get(r.postId);
          if (post) await posts.patch(post.id, { reactions: { ...post.reactions, [r.kind]: Math.max(0, (post.reactions[r.kind] ?? 0) - 1) } });
        } else {
          await reactions.insert({ ...r, id, reactorId: blindAuthor });
        }
        break;
      }
    }
  }
}
