import type { OutboundPost, OutboundThread, ReadingService } from '../../server/forums/reading.service.js';
import { attachmentsToActivityPub, type OutgoingPhoto } from '../media-attachments.js';
import type { Logger } from '../../server/logger.js';
import { eachPage } from '../../server/store/paging.js';
import type { Store, TxScope } from '../../server/store/port.js';
import type { Actors } from '../actors/actors.js';
import type { PortApexStore } from '../apex-store.js';
import type { Apex, ApexActivity, ApexActor, ApexObject } from '../apex-types.js';
import { groupAnnounce, publishBuilt } from './publish.js';
import { apContributionsCollection, apSentPostsCollection, type ApSentPostDoc } from '../federation.collections.js';
import { idOf, PUBLIC } from '../as.js';
import { DATA_INTEGRITY_CONTEXT, withProof } from '../integrity.js';
import { apId, idOfApId, type Iris } from '../iris.js';

export interface PostFederationDeps {
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly store: Store;
  readonly logger: Logger;
  readonly forums: ReadingService;
  /** A post's photos as other servers get them (attachments), in order; none for most posts. */
  readonly photos: (postId: string) => Promise<readonly OutgoingPhoto[]>;
  /** Whether any photo of the post is marked sensitive (Mastodon reads `sensitive` on the object). */
  readonly sensitivePhotos: (postId: string) => Promise<boolean>;
}

/**
 * Sends a public board's local posts to the board's followers (FEP-1b12,
 * FEP-7888): the author's Person Creates the Page (a thread) or Note (a
 * reply) and the board's Group Announces that Create unchanged; edits and
 * deletions (including moderators' removals) go the same way as Update and
 * Delete. Anonymous posts never involve the member's actor: the board's one
 * anonymous member (a Person) is their author and creator.
 *
 * It works by reconciling what a post shows with what was sent of it
 * (ap_sent_posts), on every change the forums module reports: the forums
 * module needs no federation code, and a missed event is repaired by the
 * next change of the same thread. A post is sent only when the board has
 * followers at that moment, so a board nobody follows costs a few indexed
 * reads per change and keeps nothing; earlier posts are not pushed to a new
 * follower (it reads them from the board's pages or outbox).
 */
export class PostFederation {
  /** One reconciliation per thread at a time, so a post is never Created twice. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: PostFederationDeps) {}

  objectIri(postId: string): string {
    return `${this.deps.iris.base}/ap/o/${apId(postId)}`;
  }

  /** The local post an object IRI of ours names, or null. */
  postIdOf(iri: string): string | null {
    const prefix = `${this.deps.iris.base}/ap/o/`;
    if (!iri.startsWith(prefix)) return null;
    return idOfApId(iri.slice(prefix.length));
  }

  /** A post's IRI: ours, or its origin's for a post a remote member wrote here. */
  private async iriOfPost(postId: string): Promise<string> {
    const contribution = await this.deps.store.collection(apContributionsCollection).get(postId);
    return contribution?.objectIri ?? this.objectIri(postId);
  }

  /** The activity a remote member sent for their post, as received, to be announced unchanged. */
  private async contributed(postId: string): Promise<Record<string, unknown> | null> {
    const contribution = await this.deps.store.collection(apContributionsCollection).get(postId);
    if (!contribution) return null;
    return JSON.parse(contribution.activity) as Record<string, unknown>;
  }

  private activityIri(kind: string, postId: string, version = ''): string {
    return `${this.deps.iris.base}/ap/s/${kind}-${apId(postId)}${version ? `-${version}` : ''}`;
  }

  /**
   * Queues a reconciliation of the thread (of every sent post when threadId
   * is null: a board or account changed); errors are logged, never thrown at
   * the forums module.
   */
  onThreadChange(threadId: string | null, postId?: string): Promise<void> {
    const key = threadId ?? '*';
    const previous = this.running.get(key) ?? Promise.resolve();
    const task = previous
      .then(() => (threadId ? this.syncThread(threadId, postId) : this.syncAll()))
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'federating a thread failed'))
      .finally(() => {
        if (this.running.get(key) === task) this.running.delete(key);
      });
    this.running.set(key, task);
    return task;
  }

  /** The Group a thread's posts belong to now, or null when its board does not federate (gone, or not public). */
  private async groupOf(thread: OutboundThread | null): Promise<ApexActor | null> {
    return thread?.publicBoard ? this.deps.actors.boardActor(thread.publicBoard) : null;
  }

  private async syncThread(threadId: string, postId?: string): Promise<void> {
    const { store, forums } = this.deps;
    const thread = await forums.outboundThread(threadId);
    const group = await this.groupOf(thread);
    const sent = store.collection(apSentPostsCollection);
    // What was sent follows the post (edited, deleted, removed), or the whole thread when the thread itself changed
    // (removed, or moved off a public board).
    if (postId) {
      const record = await sent.get(postId);
      if (record) {
        if (!record.deleted) await this.reconcile(record, thread, group);
        return;
      }
    } else {
      await eachPage(
        (after) => sent.find({ where: { threadId, deleted: false }, limit: 200, after }),
        (record) => this.reconcile(record, thread, group),
      );
      if (thread && group) await this.syncModeration(thread, group);
    }
    if (!postId || !thread || !group) return;
    const post = await forums.outboundPost(postId);
    if (!post || post.state !== 'visible' || thread.state !== 'visible') return;
    // Nothing is sent, or kept, for a board nobody follows.
    if ((await this.deps.apex.store.getStreamCount(group.followers[0]!)) === 0) return;
    await this.create(group, thread, post);
  }

  /** Every post still standing on other servers, checked against what it shows now. */
  private async syncAll(): Promise<void> {
    const { store, forums } = this.deps;
    const threads = new Map<string, { thread: OutboundThread | null; group: ApexActor | null }>();
    await eachPage(
      (after) => store.collection(apSentPostsCollection).find({ where: { deleted: false }, orderBy: { field: 'updatedAt' }, limit: 200, after }),
      async (record) => {
        let current = threads.get(record.threadId);
        if (!current) {
          const thread = await forums.outboundThread(record.threadId);
          current = { thread, group: await this.groupOf(thread) };
          threads.set(record.threadId, current);
        }
        await this.reconcile(record, current.thread, current.group);
      },
    );
  }

  private async reconcile(record: ApSentPostDoc, thread: OutboundThread | null, group: ApexActor | null): Promise<void> {
    const post = await this.deps.forums.outboundPost(record.id);
    const live = !!post && !!thread && !!group && post.state === 'visible' && thread.state === 'visible' && group.id === record.groupIri;
    if (!live) await this.remove(record, post);
    else if (record.editedAt !== post.editedAt || (record.photos ?? 0) !== (await this.deps.photos(post.id)).length) await this.update(group, thread, post, record);
  }

  /**
   * What a post's object IRI answers, made from the post as it is now (so it
   * is never staler than the forum page): the Page or Note while the post is
   * visible on a public board, a Tombstone once a sent post is gone, and
   * nothing (null) otherwise, members-only posts included.
   */
  async objectFor(hexId: string): Promise<{ gone: boolean; doc: Record<string, unknown> } | null> {
    const postId = idOfApId(hexId);
    if (!postId) return null;
    const { store, apex, forums } = this.deps;
    const post = await forums.outboundPost(postId);
    const thread = post ? await forums.outboundThread(post.threadId) : null;
    const group = await this.groupOf(thread);
    const record = await store.collection(apSentPostsCollection).get(postId);
    // A post a remote member wrote here lives at its own IRI, on its own server.
    if (post?.remoteActor) return null;
    if (!post) return this.writtenElsewhere(this.objectIri(postId));
    if (post && thread && group && post.state === 'visible' && thread.state === 'visible' && (!record || !record.deleted)) {
      // A sent post keeps the author it was sent as (an anonymous post never gains its member's Person).
      const author = (record && (await this.deps.actors.resolveIri(record.authorIri))) || (await this.actorFor(thread, post));
      if (!author) return null;
      return { gone: false, doc: { '@context': apex.context, ...(await this.objectDoc(group, author, thread, post)) } };
    }
    if (!record) return null;
    return { gone: true, doc: { '@context': apex.context, id: this.objectIri(postId), type: 'Tombstone' } };
  }

  /** What a thread's page answers when asked for as ActivityPub: its first post's object (objectFor). */
  async threadObject(threadId: string): Promise<{ gone: boolean; doc: Record<string, unknown> } | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(threadId)) return null;
    const thread = await this.deps.forums.outboundThread(threadId);
    return thread ? this.objectFor(apId(thread.firstPostId)) : null;
  }

  /**
   * A post one of our members wrote on another server's board
   * (remote-posting.ts): served from the store while its author federates.
   */
  private async writtenElsewhere(iri: string): Promise<{ gone: boolean; doc: Record<string, unknown> } | null> {
    const { apex, actors, iris } = this.deps;
    const stored = (await apex.store.getObject(iri)) as Record<string, unknown> | null;
    const author = stored ? idOf(stored.attributedTo) : null;
    const audience = stored ? idOf(stored.audience) : null;
    if (!stored || !author || !audience || !iris.isLocal(author) || iris.isLocal(audience) || !(await actors.resolveIri(author))) return null;
    const doc = JSON.parse(apex.stringifyPublicJSONLD(await apex.toJSONLD(stored))) as Record<string, unknown>;
    return { gone: stored.type === 'Tombstone', doc };
  }

  /**
   * The actor a post is attributed to: the Person of the member the forums show as its author, else the board's one
   * anonymous member (anonymous posts, deleted members, and members without a Person: one who never chose to
   * federate is not made one by posting). Never the Group: Lemmy and Mbin take posts only from a Person. Null when
   * the board does not federate.
   */
  private async actorFor(thread: OutboundThread, post: OutboundPost): Promise<ApexActor | null> {
    const person = post.author.kind === 'member' ? await this.deps.actors.memberActor(post.author.handle) : null;
    return person ?? (thread.publicBoard ? this.deps.actors.anonymousActor(thread.publicBoard) : null);
  }

  private async objectDoc(group: ApexActor, author: ApexActor, thread: OutboundThread, post: OutboundPost): Promise<Record<string, unknown>> {
    const isThread = post.id === thread.firstPostId;
    const threadIri = await this.iriOfPost(thread.firstPostId);
    const photos = await this.deps.photos(post.id);
    const sensitive = post.contentWarning !== null || (await this.deps.sensitivePhotos(post.id));
    return {
      id: this.objectIri(post.id),
      type: isThread ? 'Page' : 'Note',
      ...(isThread ? { name: thread.title } : { inReplyTo: post.quoteOf ? await this.iriOfPost(post.quoteOf) : threadIri }),
      attributedTo: author.id,
      content: post.html,
      mediaType: 'text/html',
      ...(post.contentWarning ? { summary: post.contentWarning } : {}),
      ...(sensitive ? { sensitive: true } : {}),
      ...(photos.length > 0 ? { attachment: attachmentsToActivityPub(photos) } : {}),
      // Counts only: who reacted is never listed, here or elsewhere.
      likes: { type: 'Collection', totalItems: post.reactionCount },
      // FEP-7888: the thread is named by its first post's IRI; FEP-1b12: the board's Group is the audience.
      context: threadIri,
      audience: group.id,
      to: [group.id, PUBLIC],
      cc: [author.followers[0]],
      published: new Date(post.createdAt).toISOString(),
      ...(post.editedAt ? { updated: new Date(post.editedAt).toISOString() } : {}),
      url: `${this.deps.iris.base}/t/${thread.id}#p-${post.id}`,
    };
  }

  /**
   * Has the Group Announce `inner` to its followers; a local author's
   * activity is also saved (served at its IRI). A remote member's activity
   * (author null) is announced as it arrived and served by its own server.
   * `record` (what was sent of the post) is written with the Announce, in
   * one transaction.
   */
  private async announce(
    group: ApexActor,
    author: ApexActor | null,
    inner: Record<string, unknown>,
    kind: string,
    postId: string,
    record: (scope: TxScope) => Promise<unknown>,
    version = '',
  ): Promise<void> {
    const { apex, apexStore } = this.deps;
    // An activity: it has an id and a type (ours, or a remote one read and checked on arrival).
    let stored = inner as ApexObject;
    let sent = inner;
    if (author) {
      const activity = (await apex.fromJSONLD({ '@context': apex.context, ...inner })) as ApexActivity;
      activity._meta = { collection: [author.outbox[0]!] };
      // The author's activity is only stored: the Group is local, so there is nothing to deliver to it.
      await apex.store.saveActivity(activity);
      const { _meta: _own, ...embedded } = activity;
      stored = embedded;
      // FEP-8b32: signed by its author, so that a copy passed on by anyone can be believed without asking us; with its
      // own @context, which the proof covers and which defines `proof`, so that it can be read and verified on its own.
      const key = await this.deps.actors.proofSigner(author.id);
      if (key) sent = withProof({ '@context': [...apex.context, DATA_INTEGRITY_CONTEXT], ...inner }, key);
    }
    // Embedded unchanged, so followers need not fetch it back (and any proof on it still verifies).
    const built = groupAnnounce(apex, group, { id: this.activityIri(`announce-${kind}`, postId, version), object: sent, stored, published: new Date() });
    await publishBuilt(apex, apexStore, group, built, record);
  }

  private async create(group: ApexActor, thread: OutboundThread, post: OutboundPost): Promise<void> {
    const { apex } = this.deps;
    const photoCount = (await this.deps.photos(post.id)).length;
    const sent = (authorIri: string) => (tx: TxScope) =>
      tx.collection(apSentPostsCollection).upsert({ id: post.id, threadId: thread.id, authorIri, groupIri: group.id, editedAt: post.editedAt, photos: photoCount, deleted: false, updatedAt: Date.now() });
    if (post.remoteActor) {
      const inner = await this.contributed(post.id);
      // Not kept yet: contributions.ts asks again once it is.
      if (!inner) return;
      await this.announce(group, null, inner, 'create', post.id, sent(post.remoteActor));
      return;
    }
    const author = await this.actorFor(thread, post);
    if (!author) return;
    const object = await this.objectDoc(group, author, thread, post);
    await apex.store.saveObject(await apex.fromJSONLD({ '@context': apex.context, ...object }));
    const create = {
      id: this.activityIri('create', post.id),
      type: 'Create',
      actor: author.id,
      to: object.to,
      cc: object.cc,
      audience: group.id,
      object,
      published: object.published,
    };
    await this.announce(group, author, create, 'create', post.id, sent(author.id));
  }

  private async update(group: ApexActor, thread: OutboundThread, post: OutboundPost, record: ApSentPostDoc): Promise<void> {
    const { apex, store } = this.deps;
    const photoCount = (await this.deps.photos(post.id)).length;
    // An edit is named by its time; photos added after the post by their count.
    const version = record.editedAt !== post.editedAt ? String(post.editedAt ?? Date.now()) : `photos-${photoCount}`;
    const edited = (scope: TxScope) => scope.collection(apSentPostsCollection).patch(post.id, { editedAt: post.editedAt, photos: photoCount, updatedAt: Date.now() });
    if (post.remoteActor) {
      const inner = await this.contributed(post.id);
      if (inner) await this.announce(group, null, inner, 'update', post.id, edited, version);
      else await edited(store);
      return;
    }
    // The author stays the one the post was first sent as (an anonymous post never gains its member's Person).
    const author = (await this.deps.actors.resolveIri(record.authorIri)) ?? group;
    const object = await this.objectDoc(group, author, thread, post);
    await apex.store.updateObject(await apex.fromJSONLD({ '@context': apex.context, ...object }), null, true);
    const update = { id: this.activityIri('update', post.id, version), type: 'Update', actor: author.id, to: object.to, cc: object.cc, audience: group.id, object };
    await this.announce(group, author, update, 'update', post.id, edited, version);
  }

  /**
   * A thread's lock and pin, as Lemmy and Mbin send them (their FEDERATION.md): `Lock` of the thread's first post
   * and its `Undo`, and `Add` or `Remove` of it to the Group's `featured` collection (`target`), each by the board's
   * moderators' Person (which the Group lists among its moderators: both take a moderator's action only from one)
   * and announced by the Group. Only a thread its followers were sent, and only what changed since.
   */
  private async syncModeration(thread: OutboundThread, group: ApexActor): Promise<void> {
    const { store, actors } = this.deps;
    const record = await store.collection(apSentPostsCollection).get(thread.firstPostId);
    if (!record || record.deleted || record.groupIri !== group.id || thread.state !== 'visible' || !thread.publicBoard) return;
    const wasLocked = record.locked ?? false;
    const wasPinned = record.pinned ?? false;
    if (wasLocked === thread.locked && wasPinned === thread.pinned) return;
    const team = await actors.moderatorsActor(thread.publicBoard);
    if (!team) return;
    const object = await this.iriOfPost(thread.firstPostId);
    const version = String(Date.now());
    const envelope = { actor: team.id, to: [PUBLIC], cc: [group.id], audience: group.id };
    if (wasLocked !== thread.locked) {
      const lock = { id: this.activityIri('lock', record.id, version), type: 'Lock', ...envelope, object };
      const sent = thread.locked ? lock : { id: this.activityIri('undo-lock', record.id, version), type: 'Undo', ...envelope, object: lock };
      await this.announce(group, team, sent, thread.locked ? 'lock' : 'undo-lock', record.id, (tx) => tx.collection(apSentPostsCollection).patch(record.id, { locked: thread.locked, updatedAt: Date.now() }), version);
    }
    if (wasPinned !== thread.pinned) {
      const kind = thread.pinned ? 'add' : 'remove';
      const change = { id: this.activityIri(kind, record.id, version), type: thread.pinned ? 'Add' : 'Remove', ...envelope, object, target: `${group.id}/featured` };
      await this.announce(group, team, change, kind, record.id, (tx) => tx.collection(apSentPostsCollection).patch(record.id, { pinned: thread.pinned, updatedAt: Date.now() }), version);
    }
  }

  /**
   * Takes a sent post back: the author's own deletion is theirs, anything
   * else (a moderator's removal, a thread moved or a board closed to the
   * public) is the Group's. The Group that first announced it sends the
   * Delete, even when its board no longer federates.
   */
  private async remove(record: ApSentPostDoc, post: OutboundPost | null): Promise<void> {
    const { apex, store, iris } = this.deps;
    const iri = await this.iriOfPost(record.id);
    const deleted = new Date().toISOString();
    const tombstone = { id: iri, type: 'Tombstone', deleted };
    // Our own object's IRI answers with the Tombstone from now on (FEP-1b12 removals look like deletions to followers).
    if (iris.isLocal(iri)) {
      await apex.store.updateObject(await apex.fromJSONLD({ '@context': apex.context, ...tombstone, attributedTo: record.groupIri, audience: record.groupIri, to: [PUBLIC] }), null, true);
    }
    const group = (await apex.store.getObject(record.groupIri, true)) as ApexActor | null;
    const ownDeletion = post?.state === 'deleted' && record.authorIri !== record.groupIri;
    const contributed = ownDeletion && post.remoteActor ? await this.contributed(record.id) : null;
    // The author's own Delete of this post is announced as it arrived; a post gone with its author's account is the
    // Group's to take back (the account's Delete does not name the post).
    const remoteDeletion = contributed?.type === 'Delete' && idOf(contributed.object) === iri ? contributed : null;
    const taken = (scope: TxScope) => scope.collection(apSentPostsCollection).patch(record.id, { deleted: true, updatedAt: Date.now() });
    if (group && remoteDeletion) {
      await this.announce(group, null, remoteDeletion, 'delete', record.id, taken);
    } else if (group) {
      const author = ownDeletion && iris.isLocal(record.authorIri) ? ((await apex.store.getObject(record.authorIri, true)) as ApexActor | null) : null;
      const actor = author ?? group;
      const remove = { id: this.activityIri('delete', record.id), type: 'Delete', actor: actor.id, to: [group.id, PUBLIC], cc: [group.followers[0]], audience: group.id, object: tombstone };
      await this.announce(group, actor, remove, 'delete', record.id, taken);
    } else {
      await taken(store);
    }
  }
}
