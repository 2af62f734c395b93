import type { AccountDoc } from '../accounts/accounts.collections.js';
import { notFound } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import type { NotificationsService, PulledNotice, PulledNotices } from '../notifications/notifications.service.js';
import type { Collection, Store, TxScope } from '../store/port.js';
import { blindOnBoard } from './authorship.js';
import type { ForumDocs } from './forum-docs.js';
import { postsCollection, replyMarksCollection, type BoardDoc, type PostDoc, type ReplyMarkDoc, type ThreadDoc } from './forums.collections.js';
import { canSee } from './policy.js';

export const REPLY_KIND = 'forum_reply';

/** Of each anonymous identity, replies are looked for under its newest posts only. */
const RECENT_POSTS = 20;
/** Of each thread with something new, the newest posts only: the notice leads to the thread, which shows the rest. */
const REPLIES_PER_THREAD = 20;
/** Per-thread marks kept on an identity: the threads of its RECENT_POSTS at most, so this bound is never reached in use. */
const MAX_THREAD_MARKS = 50;

const threadUrl = (threadId: string, postId: string) => `/t/${threadId}#p-${postId}`;

/**
 * Tells authors that someone replied. A named author is notified the usual way, for their account. An anonymous
 * author cannot be: a notification kept for their account would name them. Their notices are worked out on their
 * next visit instead, with their key (PulledNotices), from read marks kept under each anonymous identity's blinded
 * id, and are never pushed.
 *
 * Work per visit, bounded: one HMAC per board (the boards list holds 500 at most) and one read of the marks for
 * all of them; then for each anonymous identity the member has (a board where they posted anonymously), one read
 * of its RECENT_POSTS newest posts and of their threads, and for each of those threads with a post newer than the
 * mark, one read of its REPLIES_PER_THREAD newest posts: 1 + I × (2 + RECENT_POSTS) reads at most for I identities,
 * 1 + 2I when nothing is new.
 */
export class ReplyNotices implements PulledNotices {
  private readonly marks: Collection<ReplyMarkDoc>;

  constructor(
    store: Store,
    private readonly docs: ForumDocs,
    private readonly notifications: NotificationsService,
  ) {
    this.marks = store.collection(replyMarksCollection);
  }

  /**
   * A reply became visible: the thread's named author and the named author of the post it quotes are told, one
   * unseen notice per thread. The replier is left out only when the reply names them: skipping the named author
   * of an anonymous reply would mark that reply as theirs, in their own notifications. Written inside the
   * transaction that makes the reply visible, so that the notice is kept exactly when the reply is (and costs no
   * commit of its own); call what it answers once that transaction has committed, to tell open pages.
   */
  async replied(tx: TxScope, thread: ThreadDoc, reply: PostDoc): Promise<() => void> {
    if (reply.id === thread.firstPostId) return () => {};
    const quoted = reply.quoteOf ? await tx.collection(postsCollection).get(reply.quoteOf) : null;
    const named = [thread.anonymous ? null : thread.authorId, quoted && !quoted.anonymous ? quoted.authorId : null];
    const toTell = named.filter((id): id is string => !!id && id !== reply.authorId);
    if (toTell.length === 0) return () => {};
    const url = threadUrl(thread.id, reply.id);
    const told = await this.notifications.write(tx, toTell, REPLY_KIND, url, `thread:${thread.id}`);
    return () => this.notifications.announce(told, REPLY_KIND, url);
  }

  /** One notice per thread with replies the member has not seen, to their anonymous thread or quoting their anonymous post. */
  async pending(viewer: AccountDoc, key: MemberKey): Promise<PulledNotice[]> {
    const found = await this.identities(key);
    const out: PulledNotice[] = [];
    for (const mark of found.marks) out.push(...(await this.newReplies(viewer, found.mine, mark)).map((n) => n.notice));
    return out;
  }

  /** Marks the thread's replies seen for the identity they were found under; answers the notice they made. */
  async open(viewer: AccountDoc, key: MemberKey, threadId: string): Promise<PulledNotice> {
    const found = await this.identities(key);
    for (const mark of found.marks) {
      const pending = await this.newReplies(viewer, found.mine, mark);
      const hit = pending.find((n) => n.notice.id === threadId);
      if (!hit) continue;
      const threads = { ...mark.threads, [threadId]: hit.newest };
      if (pending.length === 1) {
        // Nothing else is new for this identity: one mark for all its threads again.
        await this.marks.patch(mark.id, { seenUpTo: Math.max(mark.seenUpTo, ...Object.values(threads)), threads: {} });
      } else {
        await this.marks.patch(mark.id, { threads: Object.fromEntries(Object.entries(threads).filter(([, at]) => at > mark.seenUpTo).slice(-MAX_THREAD_MARKS)) });
      }
      return hit.notice;
    }
    throw notFound('notification_not_found');
  }

  /** The member's blinded id on every board, and the read marks of those that are anonymous identities. */
  private async identities(key: MemberKey): Promise<{ mine: ReadonlySet<string>; marks: ReplyMarkDoc[] }> {
    const boards: BoardDoc[] = await this.docs.allBoards();
    const mine = new Set(boards.map((b) => blindOnBoard(key, b.id)));
    return { mine, marks: await this.marks.getMany([...mine]) };
  }

  private async newReplies(viewer: AccountDoc, mine: ReadonlySet<string>, mark: ReplyMarkDoc): Promise<{ notice: PulledNotice; newest: number }[]> {
    const { posts, threads, boards } = this.docs;
    const recent = (await posts.find({ where: { blindAuthor: mark.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: RECENT_POSTS })).items;
    const byThread = new Map<string, Set<string>>();
    for (const p of recent) byThread.set(p.threadId, (byThread.get(p.threadId) ?? new Set()).add(p.id));
    const found = (await threads.getMany([...byThread.keys()])).filter((t) => t.state === 'visible' && t.lastPostAt > seenIn(mark, t.id));
    const boardsById = new Map((await boards.getMany([...new Set(found.map((t) => t.boardId))])).map((b) => [b.id, b]));
    const out: { notice: PulledNotice; newest: number }[] = [];
    for (const t of found) {
      const board = boardsById.get(t.boardId);
      if (!board || !canSee(viewer, board)) continue;
      const seen = seenIn(mark, t.id);
      const minePosts = byThread.get(t.id)!;
      const started = t.blindAuthor === mark.id || minePosts.has(t.firstPostId);
      const latest = (await posts.find({ where: { threadId: t.id, state: 'visible' }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: REPLIES_PER_THREAD })).items;
      const replies = latest.filter(
        (r) =>
          r.createdAt > seen &&
          r.id !== t.firstPostId &&
          r.authorId !== viewer.id &&
          !(r.blindAuthor && mine.has(r.blindAuthor)) &&
          (started || (!!r.quoteOf && minePosts.has(r.quoteOf))),
      );
      if (replies.length === 0) continue;
      const first = replies[replies.length - 1]!;
      const newest = replies[0]!.createdAt;
      out.push({ notice: { id: t.id, kind: REPLY_KIND, url: threadUrl(t.id, first.id), createdAt: newest }, newest });
    }
    return out;
  }
}

/** Up to when the identity has seen the thread's replies. */
function seenIn(mark: ReplyMarkDoc, threadId: string): number {
  return Math.max(mark.seenUpTo, mark.threads[threadId] ?? 0);
}
