import type { AccountDoc } from '../server/accounts/accounts.collections.js';
import { accountsCollection } from '../server/accounts/accounts.collections.js';
import { boardsCollection, postsCollection, threadsCollection, type PostDoc, type ThreadDoc } from '../server/forums/forums.collections.js';
import type { Logger } from '../server/logger.js';
import type { Store } from '../server/store/port.js';
import type { Actors } from './actors.js';
import type { Apex, ApexActivity, ApexActor } from './apex-types.js';
import { apSentPostsCollection, type ApSentPostDoc } from './federation.collections.js';
import type { Iris } from './iris.js';

export interface PostFederationDeps {
  readonly apex: Apex;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly store: Store;
  readonly logger: Logger;
}

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

/**
 * apex lower-cases the ids in its IRIs (and looks them up lower-cased), while
 * post ids are mixed-case base64url: the hex of the same bytes is a stable,
 * reversible, lower-case id.
 */
export const apId = (postId: string) => Buffer.from(postId, 'base64url').toString('hex');

/**
 * Sends a public board's local posts to the board's followers (FEP-1b12,
 * FEP-7888): the author's Person Creates the Page (a thread) or Note (a
 * reply) and the board's Group Announces that Create unchanged; edits and
 * deletions (including moderators' removals) go the same way as Update and
 * Delete. Anonymous posts never involve the member's actor: the Group is
 * their author and creator.
 *
 * It works by reconciling: on every change of a thread (forums.onChange) it
 * compares the thread's posts with what was already sent (ap_sent_posts), so
 * the forums module needs no federation code and a missed event is repaired
 * by the next one.
 */
export class PostFederation {
  /** One reconciliation per thread at a time, so a post is never Created twice. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: PostFederationDeps) {}

  objectIri(postId: string): string {
    return `${this.deps.iris.base}/ap/o/${apId(postId)}`;
  }

  private activityIri(kind: string, postId: string, version = ''): string {
    return `${this.deps.iris.base}/ap/s/${kind}-${apId(postId)}${version ? `-${version}` : ''}`;
  }

  /** Queues a reconciliation of the thread; errors are logged, never thrown at the forums module. */
  onThreadChange(threadId: string | null): Promise<void> {
    if (!threadId) return Promise.resolve();
    const previous = this.running.get(threadId) ?? Promise.resolve();
    const task = previous
      .then(() => this.sync(threadId))
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'federating a thread failed'))
      .finally(() => {
        if (this.running.get(threadId) === task) this.running.delete(threadId);
      });
    this.running.set(threadId, task);
    return task;
  }

  private async sync(threadId: string): Promise<void> {
    const { store, actors } = this.deps;
    const thread = await store.collection(threadsCollection).get(threadId);
    if (!thread) return;
    const board = await store.collection(boardsCollection).get(thread.boardId);
    // Only public boards federate; members-only and network boards never reach this path.
    if (!board || board.visibility !== 'public') return;
    const group = await actors.boardActor(board.slug);
    if (!group) return;

    const posts: PostDoc[] = [];
    let after: string | null = null;
    do {
      const page = await store.collection(postsCollection).find({ where: { threadId }, orderBy: { field: 'createdAt' }, limit: 1000, after });
      posts.push(...page.items);
      after = page.next;
    } while (after);

    const sent = store.collection(apSentPostsCollection);
    for (const post of posts) {
      const record = await sent.get(post.id);
      const live = post.state === 'visible' && thread.state === 'visible';
      if (live && !record) {
        await this.create(group, thread, post);
      } else if (live && record && !record.deleted && record.editedAt !== post.editedAt) {
        await this.update(group, thread, post, record);
      } else if (!live && record && !record.deleted) {
        await this.remove(group, post, record);
      }
    }
  }

  /** The actor a post is attributed to: the member's Person, or the Group for anonymous posts. */
  private async authorOf(group: ApexActor, post: PostDoc): Promise<ApexActor> {
    if (post.anonymous || !post.authorId) return group;
    const account: AccountDoc | null = await this.deps.store.collection(accountsCollection).get(post.authorId);
    // A member without a Person (never federated and not discoverable) is not made one by posting: the Group stands in.
    const person = account ? await this.deps.actors.memberActor(account.handle) : null;
    return person ?? group;
  }

  private objectDoc(group: ApexActor, author: ApexActor, thread: ThreadDoc, post: PostDoc): Record<string, unknown> {
    const isThread = post.id === thread.firstPostId;
    const threadIri = this.objectIri(thread.firstPostId);
    return {
      id: this.objectIri(post.id),
      type: isThread ? 'Page' : 'Note',
      ...(isThread ? { name: thread.title } : { inReplyTo: post.quoteOf ? this.objectIri(post.quoteOf) : threadIri }),
      attributedTo: author.id,
      content: post.html,
      mediaType: 'text/html',
      ...(post.contentWarning ? { summary: post.contentWarning, sensitive: true } : {}),
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

  /** Saves `inner` as the author's activity (served at its IRI) and has the Group Announce it to its followers. */
  private async announce(group: ApexActor, author: ApexActor, inner: Record<string, unknown>, kind: string, postId: string, version = ''): Promise<void> {
    const { apex } = this.deps;
    const activity = (await apex.fromJSONLD({ '@context': apex.context, ...inner })) as ApexActivity;
    activity._meta = { collection: [author.outbox[0]!] };
    // The author's activity is only stored: the Group is local, so there is nothing to deliver to it.
    await apex.store.saveActivity(activity);
    const announce = (await apex.fromJSONLD({
      '@context': apex.context,
      id: this.activityIri(`announce-${kind}`, postId, version),
      type: 'Announce',
      actor: group.id,
      to: [PUBLIC],
      cc: [group.followers[0]],
      audience: group.id,
      // Embedded unchanged, so followers need not fetch it back (and any proof on it still verifies).
      object: inner,
      published: new Date().toISOString(),
    })) as ApexActivity;
    await apex.addToOutbox(group, announce);
  }

  private async create(group: ApexActor, thread: ThreadDoc, post: PostDoc): Promise<void> {
    const { apex, store } = this.deps;
    const author = await this.authorOf(group, post);
    const object = this.objectDoc(group, author, thread, post);
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
    await this.announce(group, author, create, 'create', post.id);
    await store.collection(apSentPostsCollection).upsert({ id: post.id, authorIri: author.id, groupIri: group.id, editedAt: post.editedAt, deleted: false, updatedAt: Date.now() });
  }

  private async update(group: ApexActor, thread: ThreadDoc, post: PostDoc, record: ApSentPostDoc): Promise<void> {
    const { apex, store } = this.deps;
    // The author stays the one the post was first sent as (an anonymous post never gains a Person).
    const author = (await this.deps.actors.resolveIri(record.authorIri)) ?? group;
    const object = this.objectDoc(group, author, thread, post);
    await apex.store.updateObject(await apex.fromJSONLD({ '@context': apex.context, ...object }), null, true);
    const version = String(post.editedAt ?? Date.now());
    const update = { id: this.activityIri('update', post.id, version), type: 'Update', actor: author.id, to: object.to, cc: object.cc, audience: group.id, object };
    await this.announce(group, author, update, 'update', post.id, version);
    await store.collection(apSentPostsCollection).patch(post.id, { editedAt: post.editedAt, updatedAt: Date.now() });
  }

  private async remove(group: ApexActor, post: PostDoc, record: ApSentPostDoc): Promise<void> {
    const { apex, store } = this.deps;
    const author = (await this.deps.actors.resolveIri(record.authorIri)) ?? group;
    const iri = this.objectIri(post.id);
    const deleted = new Date().toISOString();
    const tombstone = { id: iri, type: 'Tombstone', formerType: 'Note', deleted };
    // The object's IRI answers with the Tombstone from now on (public, as the post was; FEP-1b12 removals look like deletions to followers).
    await apex.store.updateObject(await apex.fromJSONLD({ '@context': apex.context, ...tombstone, attributedTo: group.id, audience: group.id, to: [PUBLIC] }), null, true);
    // A moderator's removal is the Group's act; the author's own deletion is theirs.
    const actor = post.state === 'deleted' ? author : group;
    const remove = { id: this.activityIri('delete', post.id), type: 'Delete', actor: actor.id, to: [group.id, PUBLIC], cc: [group.followers[0]], audience: group.id, object: tombstone };
    await this.announce(group, actor, remove, 'delete', post.id);
    await store.collection(apSentPostsCollection).patch(post.id, { deleted: true, updatedAt: Date.now() });
  }
}
