import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { PostRef, ReceivedPost, RemoteAuthor, RemoteIntakeService } from '../../server/forums/remote.service.js';
import { reactionEmoji, reactionKinds, type ReactionKind } from '../../server/forums/reactions.js';
import { CW_MAX, TITLE_MAX } from '../../server/forums/forums.schemas.js';
import { AppError } from '../../server/core/errors.js';
import type { Logger } from '../../server/logger.js';
import type { ModerationService } from '../../server/moderation/moderation.service.js';
import { allItems } from '../../server/store/paging.js';
import { DuplicateKeyError, type Store, type TxScope } from '../../server/store/port.js';
import type { Actors } from '../actors/actors.js';
import type { PortApexStore } from '../apex-store.js';
import type { Apex, ApexActor } from '../apex-types.js';
import { first, idOf, ids, POST_TYPES, postShown, readPostObject, sameOrigin, text, type PostObject } from '../as.js';
import { apContributionsCollection, apLikesCollection, type ApContributionDoc } from '../federation.collections.js';
import { InboxRefusal } from './refusal.js';
import { rawBodyOf } from './request.js';
import type { Iris } from '../iris.js';
import type { PostFederation } from '../outbound/posts.js';

export interface ContributionsDeps {
  readonly store: Store;
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly forums: RemoteIntakeService;
  readonly moderation: ModerationService;
  readonly posts: PostFederation;
  readonly logger: Logger;
  /** Records the pictures a received post names, fetched when first shown (server/media, remote-images.ts). */
  readonly pictures: (postId: string, object: Record<string, unknown>) => Promise<void>;
}

const HANDLED = new Set(['Create', 'Update', 'Delete', 'Like', 'EmojiReact', 'Undo']);
const VARIATION = /[\uFE0E\uFE0F]/g;

/**
 * Members of other servers writing on our public boards (FEP-1b12): a
 * Create of a Page (a new thread) or a Note (a reply) addressed to a board's
 * Group becomes a post there, under the same rules as members' posts, and
 * the Group announces the author's activity, unchanged, to its followers;
 * the author's Update and Delete follow it. Only a server already in the
 * board's conversation may write: the author follows the board, or another
 * actor of the author's server does (a partner instance following it).
 *
 * Runs in a board's inbox after the signature checks and answers these
 * activities itself; everything else goes on to apex.
 */
export class RemoteContributions {
  constructor(private readonly deps: ContributionsDeps) {}

  gate(): RequestHandler {
    return (req, res, next) => {
      const slug = req.params.slug;
      const activity = req.body as Record<string, unknown>;
      const type = activity.type;
      if (type === 'Flag') {
        this.flag(activity).then(() => res.status(202).end(), next);
        return;
      }
      const reaction = type === 'Like' || type === 'EmojiReact';
      // Mastodon and others send a Like of a post to its author's inbox: a member's Person takes reactions too.
      const atMember = typeof slug !== 'string' && typeof req.params.handle === 'string' && (reaction || type === 'Undo');
      if ((typeof slug !== 'string' && !atMember) || typeof type !== 'string' || !HANDLED.has(type)) {
        next();
        return;
      }
      const board = typeof slug === 'string' ? slug : null;
      const task = reaction
        ? this.like(board, activity)
        : type === 'Undo' || board === null
          ? this.undo(activity)
          : this.receive(board, type as 'Create' | 'Update' | 'Delete', activity, req);
      task.then((handled) => {
        if (handled) res.status(202).end();
        else next();
      }, next);
    };
  }

  private async receive(slug: string, type: 'Create' | 'Update' | 'Delete', activity: Record<string, unknown>, req: Request): Promise<boolean> {
    const actor = idOf(activity.actor)!;
    const raw = rawBodyOf(req)?.toString('utf8');
    if (!raw) throw new InboxRefusal(400, 'bad_activity');
    if (type === 'Delete') return this.delete(actor, idOf(activity.object), raw);
    const inner = first(activity.object);
    if (!inner || typeof inner !== 'object' || !POST_TYPES.has(String((inner as { type?: unknown }).type))) return false;
    const parsed = readPostObject(inner as Record<string, unknown>);
    if (!parsed.success) throw new InboxRefusal(400, 'bad_object');
    const post = parsed.data;
    // The author writes their own posts, on their own server.
    if (post.attributedTo !== actor || !sameOrigin(post.id, actor)) throw new InboxRefusal(403, 'not_author');
    const group = await this.deps.actors.boardActor(slug);
    if (!group) throw new InboxRefusal(404, 'board_not_found');
    const o = inner as Record<string, unknown>;
    const addressed = [o.audience, activity.audience, o.to, o.cc, activity.to, activity.cc].flatMap(ids);
    // Not addressed to this board (a follower's post that only passes through its inbox): nothing to do here.
    if (!addressed.includes(group.id)) return true;
    return type === 'Create' ? this.create(slug, group, actor, post, o, raw) : this.update(actor, post, raw);
  }

  private async create(slug: string, group: ApexActor, actor: string, post: PostObject, o: Record<string, unknown>, raw: string): Promise<boolean> {
    const { store, forums, posts } = this.deps;
    const contributions = store.collection(apContributionsCollection);
    if (await contributions.findOne({ objectIri: post.id })) return true;
    if (!(await this.inConversation(group, actor))) throw new InboxRefusal(403, 'not_following_board');
    const target = post.inReplyTo ? await this.localPost(post.inReplyTo) : null;
    if (post.inReplyTo && !target) throw new InboxRefusal(422, 'reply_target_unknown');
    const author = await this.authorOf(actor);
    const shown = postShown(post);
    let received;
    try {
      // Kept with the post: without it, the sender's retry of the same Create would make a second post.
      const contribution = (tx: TxScope, made: ReceivedPost) =>
        tx.collection(apContributionsCollection).insert({ id: made.id, objectIri: post.id, actorIri: actor, activity: raw, updatedAt: Date.now() });
      received = await forums.receiveRemotePost(
        slug,
        {
          threadId: target?.threadId ?? null,
          quoteOf: target?.id ?? null,
          title: target ? null : shown.title.slice(0, TITLE_MAX),
          html: shown.html,
          contentWarning: shown.contentWarning ? shown.contentWarning.slice(0, CW_MAX) : null,
          remote: author,
        },
        contribution,
      );
    } catch (error) {
      // Another copy of this Create (a retry that raced it, or the same post in a new activity) kept it first.
      if (error instanceof DuplicateKeyError) return true;
      throw refusal(error);
    }
    this.deps.logger.info({ board: slug, kind: target ? 'reply' : 'thread', sensitive: typeof o.sensitive === 'boolean' }, 'remote post received');
    await this.deps.pictures(received.id, o);
    // Now that the activity is kept, the Group can announce it.
    await posts.onThreadChange(received.threadId, received.id);
    return true;
  }

  private async update(actor: string, post: PostObject, raw: string): Promise<boolean> {
    const contribution = await this.authoredBy(actor, post.id);
    if (!contribution) return false;
    await this.keep(contribution, raw);
    try {
      const shown = postShown(post);
      await this.deps.forums.editRemotePost(contribution.id, actor, {
        html: shown.html,
        contentWarning: shown.contentWarning ? shown.contentWarning.slice(0, CW_MAX) : null,
        title: post.name ? shown.title.slice(0, TITLE_MAX) : null,
      });
    } catch (error) {
      throw refusal(error);
    }
    return true;
  }

  private async delete(actor: string, objectIri: string | null, raw: string): Promise<boolean> {
    if (!objectIri) return false;
    const contribution = await this.authoredBy(actor, objectIri);
    if (!contribution) return false;
    await this.keep(contribution, raw);
    await this.deps.forums.deleteRemotePost(contribution.id, actor).catch((error: unknown) => {
      throw refusal(error);
    });
    return true;
  }

  /**
   * A Like, or an emoji reaction (Misskey, Pleroma), of a post on the board
   * counts as one of our supportive reactions: the emoji's own when it is one
   * of ours, else a heart. Only from servers in the board's conversation.
   * It arrives at the board's inbox (`slug`) or at its author's (null: the
   * board is the post's).
   */
  private async like(slug: string | null, activity: Record<string, unknown>): Promise<boolean> {
    const actor = idOf(activity.actor)!;
    const likeId = typeof activity.id === 'string' ? activity.id : null;
    const target = idOf(activity.object);
    if (!likeId || !target) throw new InboxRefusal(400, 'bad_activity');
    const post = await this.localPost(target);
    if (!post) throw new InboxRefusal(422, 'like_target_unknown');
    const boardSlug = slug ?? post.boardSlug;
    const group = boardSlug ? await this.deps.actors.boardActor(boardSlug) : null;
    if (!group) throw new InboxRefusal(404, 'board_not_found');
    if (!(await this.inConversation(group, actor))) throw new InboxRefusal(403, 'not_following_board');
    const likes = this.deps.store.collection(apLikesCollection);
    if (await likes.get(likeId)) return true;
    const emoji = (text(activity.content) ?? '').replace(VARIATION, '');
    const kind = reactionKinds.find((k) => reactionEmoji[k].replace(VARIATION, '') === emoji) ?? 'heart';
    const reactor = reactorKey(actor);
    if (await this.deps.forums.reactRemote(post.id, reactor, kind, true)) {
      await likes.insert({ id: likeId, postId: post.id, reactor, kind, createdAt: Date.now() });
    }
    return true;
  }

  /** The Undo of a Like we counted; any other Undo (a Follow's) goes on to apex. */
  private async undo(activity: Record<string, unknown>): Promise<boolean> {
    const actor = idOf(activity.actor)!;
    const likeId = idOf(activity.object);
    const likes = this.deps.store.collection(apLikesCollection);
    const like = likeId ? await likes.get(likeId) : null;
    if (!like) return false;
    if (like.reactor !== reactorKey(actor)) throw new InboxRefusal(403, 'not_author');
    await this.deps.forums.reactRemote(like.postId, like.reactor, like.kind as ReactionKind, false);
    await likes.delete(like.id);
    return true;
  }

  /**
   * A report from another server (Mastodon sends it from its instance actor,
   * Lemmy from the reporting person, to any of our inboxes): each of our posts
   * it names is put in its board's reports queue, from that server (never
   * from a person). Actors it names are left to the admins.
   */
  private async flag(activity: Record<string, unknown>): Promise<void> {
    const actor = idOf(activity.actor)!;
    const note = (text(activity.content) ?? text(activity.summary) ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 1000);
    const reporter = `ap:${new URL(actor).host}`;
    for (const iri of ids(activity.object).slice(0, 20)) {
      const post = await this.localPost(iri);
      if (post) await this.deps.moderation.fileRemoteReport(reporter, post, { reason: 'other', note });
    }
  }

  /** The latest activity is what the Group announces for the change it makes. */
  private async keep(contribution: ApContributionDoc, raw: string): Promise<void> {
    await this.deps.store.collection(apContributionsCollection).patch(contribution.id, { activity: raw, updatedAt: Date.now() });
  }

  /** Whether the author, or another actor of their server, follows the board. */
  private async inConversation(group: ApexActor, actor: string): Promise<boolean> {
    return this.deps.apexStore.hasItemFrom(group.followers[0]!, new URL(actor).origin);
  }

  /** The local post an IRI names: one of ours (/ap/o/…) or one a remote member wrote here. */
  private async localPost(iri: string): Promise<PostRef | null> {
    const { store, posts } = this.deps;
    const postId = posts.postIdOf(iri) ?? (await store.collection(apContributionsCollection).findOne({ objectIri: iri }))?.id ?? null;
    return postId ? this.deps.forums.postRef(postId) : null;
  }

  /**
   * A member of another server moved (moves.ts checked it): the posts they
   * wrote on our boards show under their new account, `to`, a remote actor
   * (`doc`, its document as fetched) or a member of ours (`accountId`: they
   * imported their old account here). Returns how many.
   */
  async relinkAuthor(from: string, to: string, target: { readonly doc: Record<string, unknown> } | { readonly accountId: string }): Promise<number> {
    const contributions = this.deps.store.collection(apContributionsCollection);
    const moved = await this.allBy(from);
    const author = 'doc' in target ? { remote: await this.authorOf(to, target.doc) } : { accountId: target.accountId };
    let relinked = 0;
    for (const c of moved) {
      if (await this.deps.forums.relinkRemoteAuthor(c.id, from, author)) relinked++;
      await contributions.patch(c.id, { actorIri: to });
    }
    return relinked;
  }

  /** The post a remote author wrote here as `objectIri`; null when none was, 403 when another actor wrote it. */
  async authoredBy(actor: string, objectIri: string): Promise<ApContributionDoc | null> {
    const contribution = await this.deps.store.collection(apContributionsCollection).findOne({ objectIri });
    if (contribution && contribution.actorIri !== actor) throw new InboxRefusal(403, 'not_author');
    return contribution;
  }

  /** Every post `actor` wrote here. */
  allBy(actor: string): Promise<ApContributionDoc[]> {
    return allItems((after) => this.deps.store.collection(apContributionsCollection).find({ where: { actorIri: actor }, limit: 500, after }));
  }

  private async authorOf(actor: string, known?: Record<string, unknown>): Promise<RemoteAuthor> {
    const doc = known ?? ((await this.deps.apex.store.getObject(actor)) as Record<string, unknown> | null);
    const host = new URL(actor).host;
    const username = text(doc?.preferredUsername) ?? new URL(actor).pathname.split('/').filter(Boolean).pop() ?? 'member';
    const name = (text(doc?.name) ?? username).replace(/\s+/g, ' ').trim().slice(0, 100) || username;
    const url = idOf(doc?.url);
    return { actor, name, address: `${username}@${host}`.slice(0, 300), url: url && /^https?:\/\//.test(url) ? url : null };
  }
}

/** A remote actor in a post's reactions: a hash of its IRI, not the IRI. */
const reactorKey = (actor: string) => `ap:${crypto.createHash('sha256').update(actor).digest('base64url').slice(0, 32)}`;

/** The forums' refusals (archived board, locked thread, filtered words, bad input) as inbox answers. */
function refusal(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const status = ([403, 404, 409, 422] as const).find((s) => s === error.status) ?? 400;
  return new InboxRefusal(status, error.code);
}
