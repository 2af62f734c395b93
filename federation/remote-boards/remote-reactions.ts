import crypto from 'node:crypto';
import { z } from 'zod';
import type { AccountDoc } from '../../server/accounts/accounts.collections.js';
import { isSuspended } from '../../server/accounts/accounts.service.js';
import type { AccountHooks } from '../../server/accounts/account-hooks.js';
import { forbidden, unauthorized } from '../../server/core/errors.js';
import type { MemberKey } from '../../server/core/member-key.js';
import type { Limiter } from '../../server/core/rate-limit.js';
import { parseInput } from '../../server/core/validate.js';
import { newId } from '../../server/crypto.js';
import type { ApiRouter } from '../../server/http/api-router.js';
import type { Logger } from '../../server/logger.js';
import { allItems, eachPage } from '../../server/store/paging.js';
import type { Store } from '../../server/store/port.js';
import type { Actors } from '../actors/actors.js';
import type { Apex, ApexActivity, ApexActor } from '../apex-types.js';
import { hostOf } from '../as.js';
import { federationError } from '../errors.js';
import {
  apFollowsCollection,
  apMembersCollection,
  apRemotePostsCollection,
  apRemoteReactionsCollection,
  apSentLikesCollection,
  type ApRemotePostDoc,
} from '../federation.collections.js';
import { apId, type Iris } from '../iris.js';

export const remoteLikeInput = z.strictObject({
  /** The IRI of a post of a followed remote board, as mirrored here. */
  object: z.url().max(2048),
  /** true to like it, false to take the like back. */
  liked: z.boolean(),
});

export interface RemoteReactionsDeps {
  readonly apex: Apex;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly store: Store;
  readonly logger: Logger;
  /** Every change sends a Like or an Undo: a member cannot make the instance flood a remote board with them. */
  readonly limit: Limiter;
}

/** What a member sees of the likes of a mirrored post: how many members here like it, and whether they do. */
export interface RemoteLikes {
  readonly count: number;
  readonly mine: boolean;
}

/** The scope of a member's blinded id for their reactions on one remote board. */
const scopeOf = (group: string) => `remote-board:${group}`;
const hash = (...parts: string[]) => crypto.createHash('sha256').update(parts.join('\n')).digest('base64url');
const reactionId = (postIri: string, reactor: string) => `${hash(postIri)}.${reactor}`;

/**
 * Members' likes of the posts of remote boards this instance follows, sent to the board's server as ActivityPub
 * `Like`s (and taken back with `Undo`), as Lemmy, Mbin and Mastodon count votes and favourites:
 *
 * - a member who chose to federate (is discoverable) likes under their own Person;
 * - everyone else's likes are the one Like of the instance's anonymous member (`/ap/anonymous`): sent when the first
 *   of them likes a post, taken back when the last of them takes theirs back. A peer keeps one vote per Person and
 *   post, so it counts them once, and no member can be told apart. Each of these members' likes is kept under their
 *   blinded id for that board, so the rows name no account.
 *
 * Parasol has no downvote (reactions are supportive only), so no `Dislike` is ever sent.
 */
export class RemoteReactions {
  constructor(private readonly deps: RemoteReactionsDeps) {}

  /** Likes a mirrored post, or takes the like back; answers the likes as the member now sees them. */
  async set(account: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<RemoteLikes> {
    const { store, limit } = this.deps;
    if (!account) throw unauthorized('login_required');
    if (account.status !== 'active') throw forbidden('pending_approval');
    if (isSuspended(account)) throw forbidden('suspended');
    const input = parseInput(remoteLikeInput, raw);
    if (!key) throw unauthorized('member_key_locked');
    const post = await this.followedPost(input.object);
    const reactions = store.collection(apRemoteReactionsCollection);
    const reactor = key.blind(scopeOf(post.groupIri));
    const id = reactionId(post.id, reactor);
    const { person, federates } = await this.personOf(account, true);
    const ownLike = person ? await store.collection(apSentLikesCollection).get(hash(person.id, post.id)) : null;
    const anonymous = await reactions.get(id);
    if (input.liked === !!(anonymous ?? ownLike)) return this.likes(post.id, key, person);
    await limit.consume(account.id);
    if (!input.liked) {
      // Taken back under whichever actor sent it: the member may have chosen to federate, or stopped, since.
      if (anonymous) {
        await reactions.delete(id);
        await this.syncAnonymous(post);
      }
      if (person && ownLike) await this.unlike(person, post);
    } else if (person && federates) {
      await this.like(person, post);
    } else {
      await reactions.upsert({ id, postIri: post.id, reactor, createdAt: Date.now() });
      await this.syncAnonymous(post);
    }
    return this.likes(post.id, key, person);
  }

  /** The likes of mirrored posts as the member sees them: the count of members here, and whether they like it. */
  async likesOf(account: AccountDoc | null, key: MemberKey | null, posts: readonly Pick<ApRemotePostDoc, 'id'>[]): Promise<Map<string, RemoteLikes>> {
    const { person } = account ? await this.personOf(account, false) : { person: null };
    const out = new Map<string, RemoteLikes>();
    for (const post of posts) out.set(post.id, await this.likes(post.id, key, person));
    return out;
  }

  /**
   * Brings the anonymous member's Like of a post in line with the members' likes it stands for: sent while at least
   * one is kept, taken back when none is. Run after each change, so that two members changing theirs at the same
   * moment still leave it right.
   */
  private async syncAnonymous(post: ApRemotePostDoc): Promise<void> {
    const { store, actors } = this.deps;
    const person = await actors.servicePerson('anonymous');
    const wanted = (await store.collection(apRemoteReactionsCollection).count({ postIri: post.id })) > 0;
    const sent = !!(await store.collection(apSentLikesCollection).get(hash(person.id, post.id)));
    if (wanted && !sent) await this.like(person, post);
    if (!wanted && sent) await this.unlike(person, post);
  }

  private async likes(postIri: string, key: MemberKey | null, own: ApexActor | null): Promise<RemoteLikes> {
    const { store } = this.deps;
    const group = (await store.collection(apRemotePostsCollection).get(postIri))?.groupIri;
    const [anonymous, named] = await Promise.all([
      store.collection(apRemoteReactionsCollection).count({ postIri }),
      store.collection(apSentLikesCollection).count({ postIri }),
    ]);
    const anonymousPerson = this.deps.iris.actor({ kind: 'service', name: 'anonymous' });
    const anonymousSent = await store.collection(apSentLikesCollection).get(hash(anonymousPerson, postIri));
    const mine =
      (!!key && !!group && !!(await store.collection(apRemoteReactionsCollection).get(reactionId(postIri, key.blind(scopeOf(group)))))) ||
      (!!own && !!(await store.collection(apSentLikesCollection).get(hash(own.id, postIri))));
    // The anonymous member's own Like is not a member's: it stands for the anonymous ones counted above.
    return { count: Math.max(0, anonymous + named - (anonymousSent ? 1 : 0)), mine };
  }

  /** A post of a board this instance follows, or 404. */
  private async followedPost(iri: string): Promise<ApRemotePostDoc> {
    const { store } = this.deps;
    const post = await store.collection(apRemotePostsCollection).get(iri);
    if (!post) throw federationError(404, 'remote_post_not_found');
    if (!(await store.collection(apFollowsCollection).findOne({ remoteActor: post.groupIri, state: 'accepted' }))) throw federationError(404, 'not_followed');
    return post;
  }

  /**
   * The member's Person, when they have one (or, with `make`, when they chose to federate and it is yet to be made),
   * and whether they federate now: only then do they like under it. A Person kept after they stopped still takes back
   * what it liked.
   */
  private async personOf(account: AccountDoc, make: boolean): Promise<{ person: ApexActor | null; federates: boolean }> {
    const prefs = await this.deps.store.collection(apMembersCollection).get(account.id);
    const federates = !!prefs?.discoverable;
    if (!prefs?.actorIri && !(make && federates)) return { person: null, federates };
    return { person: await this.deps.actors.memberActor(account.handle), federates };
  }

  /**
   * A Like as Lemmy, Mbin and Mastodon read one: the post as its object and the board as its `audience`, delivered
   * to the board's Group (which announces it to its followers, as Lemmy does) and to the post's author when they are
   * on another server (Mastodon counts a favourite sent to its author).
   */
  private async like(actor: ApexActor, post: ApRemotePostDoc): Promise<void> {
    const { iris, store, logger } = this.deps;
    const elsewhere = hostOf(post.attributedTo) !== hostOf(post.groupIri);
    const like = {
      id: `${iris.base}/ap/s/like-${apId(newId())}`,
      type: 'Like',
      actor: actor.id,
      object: post.id,
      audience: post.groupIri,
      to: [post.groupIri],
      ...(elsewhere ? { cc: [post.attributedTo] } : {}),
    };
    await this.publish(actor, like);
    await store.collection(apSentLikesCollection).upsert({ id: hash(actor.id, post.id), actorIri: actor.id, postIri: post.id, groupIri: post.groupIri, like: JSON.stringify(like), createdAt: Date.now() });
    logger.info({ host: hostOf(post.groupIri), as: actor.id === iris.actor({ kind: 'service', name: 'anonymous' }) ? 'anonymous' : 'member' }, 'like sent');
  }

  /** The Undo of the actor's Like of the post, embedding the Like as it was sent (Lemmy checks that its actor is the Undo's). */
  private async unlike(actor: ApexActor, post: ApRemotePostDoc): Promise<void> {
    const { iris, store } = this.deps;
    const sent = await store.collection(apSentLikesCollection).get(hash(actor.id, post.id));
    if (!sent) return;
    const like = JSON.parse(sent.like) as Record<string, unknown>;
    await this.publish(actor, {
      id: `${iris.base}/ap/s/undo-like-${apId(newId())}`,
      type: 'Undo',
      actor: actor.id,
      object: like,
      audience: like.audience,
      to: like.to,
      ...(like.cc ? { cc: like.cc } : {}),
    });
    await store.collection(apSentLikesCollection).delete(sent.id);
  }

  private async publish(actor: ApexActor, fields: Record<string, unknown>): Promise<void> {
    const { apex } = this.deps;
    const activity = (await apex.fromJSONLD({ '@context': apex.context, ...fields, published: new Date().toISOString() })) as ApexActivity;
    await apex.addToOutbox(actor, activity);
  }

  /**
   * Account deletion: a member who chose to delete everything takes their anonymous likes back too (found by their
   * blinded id on each followed board, which only their key gives). Their own Person's likes go with its Delete.
   */
  register(hooks: AccountHooks): void {
    const { store } = this.deps;
    const mineOn = async (key: MemberKey, each: (row: { id: string; postIri: string }) => Promise<void>) => {
      for (const group of await this.followedGroups()) {
        const rows: { id: string; postIri: string }[] = await allItems((after) => store.collection(apRemoteReactionsCollection).find({ where: { reactor: key.blind(scopeOf(group)) }, limit: 500, after }));
        for (const row of rows) await each(row);
      }
    };
    hooks.onBlindedDeleted(async (key, content) => {
      if (content !== 'delete') return;
      await mineOn(key, async (row) => {
        await store.collection(apRemoteReactionsCollection).delete(row.id);
        const post = await store.collection(apRemotePostsCollection).get(row.postIri);
        if (post) await this.syncAnonymous(post);
      });
    });
    hooks.onKeyInUse(async (key) => {
      let used = false;
      await mineOn(key, async () => {
        used = true;
      });
      return used;
    });
    hooks.exporter('remoteLikes', async (_accountId, key) => {
      const liked: string[] = [];
      if (key) await mineOn(key, async (row) => void liked.push(row.postIri));
      return liked;
    });
  }

  private async followedGroups(): Promise<string[]> {
    const groups = new Set<string>();
    for (const localActor of this.deps.iris.followingActors()) {
      await eachPage(
        (after) => this.deps.store.collection(apFollowsCollection).find({ where: { localActor }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        (follow) => {
          groups.add(follow.remoteActor);
        },
      );
    }
    return [...groups];
  }
}

export function remoteReactionsApi(api: ApiRouter, reactions: RemoteReactions): void {
  api.route({
    method: 'put', path: '/federation/remote/likes', tag: 'federation', access: 'member', body: remoteLikeInput,
    summary:
      'Like a post of a followed remote board, or take the like back: {object, liked}. Sent as your own Person when you chose to federate, else as the instance’s one anonymous member; answers {count, mine}',
    handler: async ({ req, account, body }) => ({ likes: await reactions.set(account, req.memberKey ?? null, body) }),
  });
}
