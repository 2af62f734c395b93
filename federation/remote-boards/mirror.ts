import { cleanHtml } from '../../server/content/markdown.js';
import type { Logger } from '../../server/logger.js';
import { allItems, eachPage } from '../../server/store/paging.js';
import type { Page, Store } from '../../server/store/port.js';
import {
  apFollowsCollection,
  apRemotePostsCollection,
  apRemoteReactionsCollection,
  apRemoteTombstonesCollection,
  apSentLikesCollection,
  type ApRemotePostDoc,
} from '../federation.collections.js';
import { trimForeignObjects } from '../inbound/activity-checks.js';
import { view, type ThreadOfRemote } from './remote-post-view.js';
import { InboxRefusal } from '../inbound/refusal.js';
import { provenBy, type KeyLookup } from '../integrity.js';
import { dateOf, first, hostOf, idOf, ids, POST_TYPES, postShown, readPostObject, sameOrigin, type PostObject } from '../as.js';

/** What the sender's own copy of an announced activity said, when the inbox cut that activity to its IRI. */
export interface AnnounceHint {
  readonly type?: string;
  readonly objectIri?: string;
  /** The copy itself: believed only when it carries its author's FEP-8b32 proof. */
  readonly copy?: Record<string, unknown>;
}

/**
 * What an Announce, as its sender wrote it, says of the announced activity: its type and its object's IRI. Only a
 * pointer: the mirror reads the object itself from its origin.
 */
export function announceHint(announce: Record<string, unknown> | null): AnnounceHint {
  const inner = first(announce?.object);
  if (!inner || typeof inner !== 'object') return {};
  const { type, object } = inner as { type?: unknown; object?: unknown };
  const objectIri = idOf(object);
  const copy = (inner as { proof?: unknown }).proof ? { copy: structuredClone(inner as Record<string, unknown>) } : {};
  return { ...(typeof type === 'string' ? { type } : {}), ...(objectIri ? { objectIri } : {}), ...copy };
}

/** How much of a board's outbox a catch-up reads: its newest activities, a page of twenty at a time. */
const CATCH_UP_ITEMS = 400;
const CATCH_UP_PAGES = 40;
/** How long a deleted post's IRI is remembered: longer than a quiet board's outbox may keep listing its Create. */
const TOMBSTONE_MS = 365 * 24 * 3_600_000;

export interface MirrorDeps {
  readonly store: Store;
  readonly logger: Logger;
  /** Reads an object or activity from its origin. */
  readonly fetchObject: (iri: string) => Promise<unknown>;
  /** The IRIs of the local actors that follow remote boards on the instance's behalf. */
  readonly followingActors: readonly string[];
  /** Reads the key an FEP-8b32 proof names from its controller (integrity.ts). */
  readonly proofKeys: KeyLookup;
  /** Records the pictures a mirrored post names, again after an edit, and deletes an erased post's (../remote-media.ts). */
  readonly pictures?: { record(postIri: string, object: Record<string, unknown>): Promise<void>; erase(iri: string, withReplies: boolean): Promise<void> };
}

/**
 * The receiving side of a followed remote board (FEP-1b12): an inner
 * activity (Create, Update, Delete of a thread or reply) is accepted only
 * inside an Announce whose actor, already proved to be the signer, is a
 * Group this instance follows, and only when the inner activity belongs to
 * that Group (its actor, or its audience, on the Group's own origin). What it
 * carries is kept in ap_remote_posts, HTML cleaned like local posts, so that
 * members read the remote board here even when its origin is away.
 *
 * Every Announce that passes the inbox gate ends here
 * (inbound/handlers/announce.handler.ts): apex's own Announce handling
 * (shares collections, fetching the object) is not what a mirror needs.
 */
export class RemoteMirror {
  constructor(private readonly deps: MirrorDeps) {}

  /**
   * An Announce that passed the inbox gate (inbound/handlers/announce.handler.ts). `hint` is what the sender's own
   * copy said of an inner activity the inbox cut to its IRI (another origin's): the IRI of its object, which is read
   * from its origin in place of the activity (many servers serve objects, not activities).
   */
  async receive(announce: Record<string, unknown>, hint: AnnounceHint = {}): Promise<void> {
    const { store, logger } = this.deps;
    const group = idOf(announce.actor);
    if (!group) throw new InboxRefusal(400, 'bad_activity');
    const follow = await store.collection(apFollowsCollection).findOne({ remoteActor: group, state: 'accepted' });
    if (!follow) throw new InboxRefusal(403, 'not_followed');

    const inner = first(announce.object);
    // An activity announced by IRI, or embedded from another origin (which the inbox cuts to its IRI: a member
    // of a third server writing on the board), is read from where it lives, never from the announcer's copy.
    const read = typeof inner === 'string' ? await this.readAnnounced(inner, hint) : inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : null;
    if (!read) throw new InboxRefusal(400, 'bad_activity');
    // NodeBB (as FEP-1b12 allows) also announces the bare post: taken as its author's Create of it.
    const activity: Record<string, unknown> = POST_TYPES.has(String(read.type)) ? { id: read.id, type: 'Create', actor: read.attributedTo, object: [read] } : read;
    const type = activity.type;
    const actor = idOf(activity.actor);
    if (!actor || typeof activity.id !== 'string' || !sameOrigin(activity.id, actor)) throw new InboxRefusal(403, 'not_group_activity');
    // The Group acts on its own board; anyone else's activity, when it names an audience (Mastodon's and others'
    // do not), must name the board.
    const audiences = [activity.audience, (first(activity.object) as { audience?: unknown } | undefined)?.audience].flatMap(ids);
    if (actor !== group && audiences.length > 0 && !audiences.includes(group)) throw new InboxRefusal(403, 'not_group_activity');

    if (type === 'Delete') {
      const target = idOf(activity.object);
      // A Group may remove any post of its board; an author only their own.
      if (!target || (actor !== group && !sameOrigin(target, actor))) throw new InboxRefusal(403, 'not_group_activity');
      await this.remove(group, target, actor);
      return;
    }
    if (type === 'Lock' || type === 'Add' || type === 'Remove' || (type === 'Undo' && (first(activity.object) as { type?: unknown } | undefined)?.type === 'Lock')) {
      await this.moderate(group, activity);
      return;
    }
    const undone = type === 'Undo' ? (first(activity.object) as Record<string, unknown> | undefined) : undefined;
    if (undone && typeof undone === 'object' && undone.type === 'Delete') {
      await this.restore(group, actor, undone);
      return;
    }
    if (type !== 'Create' && type !== 'Update') {
      logger.info({ group, type }, 'announced activity not mirrored');
      return;
    }
    await this.keep(group, actor, type, activity);
  }

  /**
   * A Create or Update of a post of the Group's board, checked: the object is the Group's (when it names an
   * audience), and its author Created it on their own server.
   */
  private async keep(group: string, actor: string, type: 'Create' | 'Update', activity: Record<string, unknown>): Promise<void> {
    const { store } = this.deps;
    const raw = first(activity.object);
    if (!raw || typeof raw !== 'object') throw new InboxRefusal(400, 'object_not_embedded');
    const o = raw as Record<string, unknown>;
    const parsed = readPostObject(o);
    if (!parsed.success) throw new InboxRefusal(400, 'bad_object');
    const post = parsed.data;
    // The object must be the Group's (when it names an audience) and the author must be the one who Created it, on
    // their own server.
    const audience = ids(o.audience);
    if ((audience.length > 0 && !audience.includes(group)) || post.attributedTo !== actor || !sameOrigin(post.id, actor)) {
      throw new InboxRefusal(403, 'not_group_activity');
    }
    const posts = store.collection(apRemotePostsCollection);
    const existing = await posts.get(post.id);
    if (existing && (existing.groupIri !== group || existing.attributedTo !== actor)) throw new InboxRefusal(403, 'not_group_activity');
    const isThread = post.type === 'Page' || !post.inReplyTo;
    const threadIri = isThread ? post.id : await this.threadOf(post);
    // A catch-up replays the outbox's Creates and Updates as they were sent, and deliveries may arrive out of
    // order: what was deleted stays deleted, and an older version never replaces a newer one.
    const tombstones = store.collection(apRemoteTombstonesCollection);
    if ((await tombstones.getMany([...new Set([post.id, threadIri])])).some((t) => t.groupIri === group)) return;
    if (existing && (type === 'Create' || (existing.updated !== null && (dateOf(post.updated) ?? 0) <= existing.updated))) return;
    const now = Date.now();
    const shown = postShown(post);
    const doc: ApRemotePostDoc = {
      id: post.id,
      groupIri: group,
      threadIri,
      inReplyTo: isThread ? null : post.inReplyTo,
      kind: isThread ? 'Page' : 'Note',
      title: isThread ? shown.title : null,
      html: cleanHtml(shown.html),
      summary: shown.contentWarning,
      attributedTo: post.attributedTo,
      // Never later than its arrival: a date in the future would keep a thread on top of the board.
      published: Math.min(existing?.published ?? dateOf(post.published) ?? now, now),
      updated: dateOf(post.updated),
      receivedAt: now,
      // An edit does not unlock or unpin: those come as their own activities.
      ...(existing?.locked ? { locked: true } : {}),
      ...(existing?.pinned ? { pinned: true } : {}),
    };
    await posts.upsert(doc);
    await this.deps.pictures?.record(post.id, o);
  }

  /**
   * A restore (Lemmy's `Undo` of a `Delete`) of a post of a followed board: by whoever deleted it, which is the Group
   * or the post's author (as for the Delete). The post was erased here, so it is read again from its origin, which
   * serves it once more; its replies come back with the next catch-up from the board's outbox. An Undo of anything
   * not deleted here changes nothing.
   */
  private async restore(group: string, actor: string, undone: Record<string, unknown>): Promise<void> {
    const { store, logger } = this.deps;
    const target = idOf(undone.object);
    const deleter = idOf(undone.actor) ?? actor;
    if (!target) throw new InboxRefusal(400, 'bad_activity');
    if (deleter !== actor || (actor !== group && !sameOrigin(target, actor))) throw new InboxRefusal(403, 'not_group_activity');
    const tombstones = store.collection(apRemoteTombstonesCollection);
    const tombstone = await tombstones.get(target);
    if (!tombstone || tombstone.groupIri !== group) {
      logger.info({ group, reason: 'nothing_to_restore' }, 'announced restore changed nothing');
      return;
    }
    const object = await this.fetch(target);
    if (!object || object.id !== target || !POST_TYPES.has(String(object.type))) throw new InboxRefusal(422, 'object_unreadable');
    await tombstones.delete(target);
    await this.keep(group, idOf(object.attributedTo) ?? '', 'Create', { id: target, type: 'Create', actor: object.attributedTo, object: [object] });
    logger.info({ group }, 'mirrored post restored');
  }

  /**
   * A thread locked or pinned on a followed board, as Lemmy and Mbin send it (their FEDERATION.md): `Lock` of the
   * thread's first post and its `Undo`, `Add` and `Remove` of it to the Group's `featured` collection. The Group
   * vouches for its moderator by announcing it; only a thread of that Group mirrored here changes (Lemmy's Add of a
   * moderator to its moderators collection names a Person, and changes nothing).
   */
  private async moderate(group: string, activity: Record<string, unknown>): Promise<void> {
    const type = activity.type;
    const undone = type === 'Undo' ? (first(activity.object) as Record<string, unknown>) : null;
    const target = idOf(undone ? undone.object : activity.object);
    if (!target) throw new InboxRefusal(400, 'bad_activity');
    if (type === 'Add' || type === 'Remove') {
      const collection = idOf(activity.target);
      if (!collection || !sameOrigin(collection, group)) throw new InboxRefusal(403, 'not_group_activity');
    }
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const thread = await posts.get(target);
    if (!thread || thread.groupIri !== group || thread.kind !== 'Page') {
      this.deps.logger.info({ group, type }, 'announced moderation of nothing mirrored');
      return;
    }
    await posts.patch(thread.id, type === 'Lock' || type === 'Undo' ? { locked: type === 'Lock' } : { pinned: type === 'Add' });
  }

  /**
   * Reads what a followed board already holds from its outbox and keeps it as
   * if it had been announced to us: when the follow is accepted (a new
   * partner sees the board's threads, not only what comes next) and after an
   * absence longer than the origin retries its deliveries (48 hours). The
   * newest CATCH_UP_ITEMS activities are applied oldest first, so a thread
   * created and later removed stays removed. Each is checked as an announced
   * activity is: only the Group's Announces, embedded objects from its own
   * origin, anything else read from where it lives. Returns how many were kept.
   */
  async catchUp(group: string): Promise<number> {
    const { store, logger, fetchObject } = this.deps;
    if (!(await store.collection(apFollowsCollection).findOne({ remoteActor: group, state: 'accepted' }))) return 0;
    const actor = (await fetchObject(group)) as Record<string, unknown> | null;
    const outbox = actor && ids(actor.type).includes('Group') ? idOf(actor.outbox) : null;
    if (!outbox || !sameOrigin(outbox, group)) return 0;
    const collection = (await fetchObject(outbox)) as Record<string, unknown> | null;
    const items: unknown[] = [];
    let page: unknown = collection ? first(collection.first) : null;
    for (let pages = 0; page && pages < CATCH_UP_PAGES && items.length < CATCH_UP_ITEMS; pages++) {
      const iri = typeof page === 'string' ? page : null;
      if (iri !== null && !sameOrigin(iri, group)) break;
      const doc = (iri !== null ? await fetchObject(iri) : page) as Record<string, unknown> | null;
      if (!doc) break;
      const listed = doc.orderedItems ?? doc.items;
      items.push(...(Array.isArray(listed) ? listed : listed ? [listed] : []));
      page = first(doc.next);
    }
    const origin = new URL(group).origin;
    let kept = 0;
    for (const item of items.slice(0, CATCH_UP_ITEMS).reverse()) {
      if (!item || typeof item !== 'object') continue;
      const announce = item as Record<string, unknown>;
      if (announce.type !== 'Announce' || idOf(announce.actor) !== group) continue;
      const hint = announceHint(announce);
      trimForeignObjects(announce, origin);
      try {
        await this.receive(announce, hint);
        kept++;
      } catch (error) {
        if (!(error instanceof InboxRefusal)) throw error;
      }
    }
    logger.info({ host: hostOf(group), read: items.length, kept }, 'mirror caught up from the outbox');
    return kept;
  }

  /** catchUp, for background rounds: a board that cannot be read now is logged and left for the next one. */
  async tryCatchUp(group: string): Promise<void> {
    await this.catchUp(group).catch((error: unknown) =>
      this.deps.logger.info({ host: hostOf(group), reason: error instanceof Error ? error.message : 'error' }, 'mirror could not catch up'),
    );
  }

  /** catchUp for every followed board, one after the other; a board that cannot be read is left for the next round. */
  async catchUpAll(): Promise<void> {
    const groups = new Set<string>();
    for (const localActor of this.deps.followingActors) {
      await eachPage(
        (after) => this.deps.store.collection(apFollowsCollection).find({ where: { localActor }, orderBy: { field: 'createdAt' }, limit: 200, after }),
        (follow) => {
          if (follow.state === 'accepted') groups.add(follow.remoteActor);
        },
      );
    }
    for (const group of groups) await this.tryCatchUp(group);
  }

  /**
   * The thread a reply belongs to: the thread of the post it answers when that is mirrored here (`inReplyTo` first),
   * else its FEP-7888 `context` (NodeBB's is its own topic's IRI, not the thread's first post), else what it answers.
   */
  private async threadOf(post: PostObject): Promise<string> {
    const parent = post.inReplyTo ? await this.deps.store.collection(apRemotePostsCollection).get(post.inReplyTo) : null;
    if (parent) return parent.kind === 'Page' ? parent.id : parent.threadIri;
    return post.context ?? post.inReplyTo!;
  }

  /**
   * An announced activity given by IRI: when the sender's copy named its object (`hint`), the object is read from
   * its origin, as its author's Create or Update of it, since many servers serve objects and not activities; else
   * the activity itself.
   */
  private async readAnnounced(iri: string, hint: AnnounceHint): Promise<Record<string, unknown> | null> {
    const proven = await this.provenCopy(iri, hint.copy);
    if (proven) return proven;
    const { objectIri, type } = hint;
    if (!objectIri || !sameOrigin(objectIri, iri) || (type !== 'Create' && type !== 'Update')) return this.fetch(iri);
    const object = await this.fetch(objectIri);
    if (!object || !POST_TYPES.has(String(object.type))) throw new InboxRefusal(422, 'object_unreadable');
    return { id: iri, type, actor: object.attributedTo, object: [object] };
  }

  /**
   * The announcer's copy of another server's activity or post, when its author signed it (FEP-8b32: an
   * `eddsa-jcs-2022` proof by a key in the author's `assertionMethod`): the copy is then the author's wherever it
   * came from, and is taken without reading it from its origin. Anything else is read from its origin.
   */
  private async provenCopy(iri: string, copy: Record<string, unknown> | undefined): Promise<Record<string, unknown> | null> {
    if (!copy || copy.id !== iri) return null;
    const author = POST_TYPES.has(String(copy.type)) ? idOf(copy.attributedTo) : idOf(copy.actor);
    if (!author || !sameOrigin(iri, author)) return null;
    const signer = await provenBy(copy, this.deps.proofKeys);
    if (signer !== author) return null;
    const { proof: _proof, ...activity } = copy;
    return activity;
  }

  /** Reads an activity from its origin (signed by the instance actor; the origin is checked by the fetch). */
  private async fetch(iri: string): Promise<Record<string, unknown> | null> {
    try {
      return ((await this.deps.fetchObject(iri)) as Record<string, unknown> | null) ?? null;
    } catch {
      throw new InboxRefusal(422, 'activity_unreachable');
    }
  }

  /** Drops the mirrored posts a deleted account wrote (a thread with its replies); returns how many it wrote. */
  async forgetAuthor(actor: string): Promise<number> {
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const written: ApRemotePostDoc[] = await allItems((after) => posts.find({ where: { attributedTo: actor }, limit: 500, after }));
    for (const post of written) await this.erase(post.groupIri, post.id, post);
    return written.length;
  }

  private async remove(group: string, iri: string, by: string): Promise<void> {
    const { store } = this.deps;
    const found = await store.collection(apRemotePostsCollection).get(iri);
    if (found && (found.groupIri !== group || (by !== group && found.attributedTo !== by))) return;
    await this.erase(group, iri, found);
  }

  /** Deletes a post (a thread with its replies) and remembers its IRI, so that no older copy brings it back. */
  private async erase(group: string, iri: string, found: ApRemotePostDoc | null): Promise<void> {
    const now = Date.now();
    await this.deps.pictures?.erase(iri, found?.kind === 'Page');
    await this.deps.store.transaction(async (tx) => {
      const posts = tx.collection(apRemotePostsCollection);
      // Members' likes go with the posts: kept under blinded ids of a board, they would outlive what they were about.
      const erased = [iri];
      if (found?.kind === 'Page') {
        await eachPage((after) => posts.find({ where: { threadIri: iri }, orderBy: { field: 'published' }, limit: 200, after }), (reply) => erased.push(reply.id));
        await posts.deleteWhere({ threadIri: iri });
      }
      await posts.delete(iri);
      for (const postIri of erased) {
        await tx.collection(apRemoteReactionsCollection).deleteWhere({ postIri });
        await tx.collection(apSentLikesCollection).deleteWhere({ postIri });
      }
      // Also for a post not seen yet: its Create may still be on its way, or in the outbox a catch-up reads.
      await tx.collection(apRemoteTombstonesCollection).upsert({ id: iri, groupIri: group, deletedAt: now, expiresAt: now + TOMBSTONE_MS });
    });
  }

  /**
   * A page of a mirrored board's threads, newest first, each with its first
   * REPLIES_WITH_THREAD replies (oldest first) and the cursor of the rest
   * (read with thread()). `after` is the `next` of the page before.
   */
  async threads(group: string, page: { after?: string | null; limit?: number } = {}): Promise<{ threads: ThreadOfRemote[]; next: string | null }> {
    const heads = await this.heads(group, page, 20);
    const threads: ThreadOfRemote[] = [];
    for (const head of heads.items) {
      const found = await this.thread(group, head.id, { limit: REPLIES_WITH_THREAD });
      threads.push({ ...view(head), replies: (found?.replies ?? []).map(view), moreReplies: found?.next ?? null });
    }
    return { threads, next: heads.next };
  }

  /** A page of a mirrored board's first posts, newest first. */
  private heads(group: string, page: { after?: string | null; limit?: number }, defaultLimit: number): Promise<Page<ApRemotePostDoc>> {
    return this.deps.store.collection(apRemotePostsCollection).find({
      where: { groupIri: group, kind: 'Page' },
      orderBy: { field: 'published', direction: 'desc' },
      limit: page.limit ?? defaultLimit,
      after: page.after ?? null,
    });
  }

  /** How many threads a mirrored board has, and when its latest post (thread or reply) was published. */
  async boardStats(group: string): Promise<RemoteBoardStats> {
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const newest = (kind: 'Page' | 'Note') => posts.find({ where: { groupIri: group, kind }, orderBy: { field: 'published', direction: 'desc' }, limit: 1 });
    const [threads, thread, reply] = await Promise.all([posts.count({ groupIri: group, kind: 'Page' }), newest('Page'), newest('Note')]);
    const times = [...thread.items, ...reply.items].map((p) => p.published);
    return { threads, latestAt: times.length ? Math.max(...times) : null };
  }

  /**
   * One page of a mirrored board's threads, newest first, each with its
   * number of replies and the time of its latest post. `after` is the `next`
   * of the page before (a malformed one throws InvalidCursorError).
   */
  async threadPage(group: string, page: { after?: string | null; limit?: number } = {}): Promise<{ threads: RemoteThreadSummary[]; next: string | null }> {
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const heads = await this.heads(group, page, 30);
    const threads = await Promise.all(
      heads.items.map(async (head): Promise<RemoteThreadSummary> => {
        let replyCount = 0;
        let lastPostAt = head.published;
        await eachPage(
          (after) => posts.find({ where: { threadIri: head.id }, orderBy: { field: 'published' }, limit: 500, after }),
          (p) => {
            if (p.id === head.id || p.groupIri !== group) return;
            replyCount += 1;
            lastPostAt = Math.max(lastPostAt, p.published);
          },
        );
        return { thread: head, replyCount, lastPostAt };
      }),
    );
    return { threads, next: heads.next };
  }

  /**
   * A mirrored thread of `group` (null when there is none): its first post,
   * and one page of its replies, oldest first.
   */
  async thread(group: string, threadIri: string, page: { after?: string | null; limit?: number } = {}): Promise<RemoteThreadPage | null> {
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const head = await posts.get(threadIri);
    if (!head || head.groupIri !== group || head.kind !== 'Page') return null;
    const found = await posts.find({ where: { threadIri, kind: 'Note' }, orderBy: { field: 'published' }, limit: page.limit ?? 50, after: page.after ?? null });
    // A reply names its thread (context) itself: only the Group's own posts belong to the Group's thread.
    return { thread: head, replies: found.items.filter((p) => p.groupIri === group), next: found.next };
  }
}

export interface RemoteBoardStats {
  readonly threads: number;
  /** When the latest post was published (ms), or null when nothing is mirrored yet. */
  readonly latestAt: number | null;
}

export interface RemoteThreadSummary {
  /** The thread's first post. */
  readonly thread: ApRemotePostDoc;
  readonly replyCount: number;
  readonly lastPostAt: number;
}

export interface RemoteThreadPage {
  readonly thread: ApRemotePostDoc;
  readonly replies: readonly ApRemotePostDoc[];
  readonly next: string | null;
}

const REPLIES_WITH_THREAD = 50;
