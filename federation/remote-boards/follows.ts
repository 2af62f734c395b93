import { z } from 'zod';
import { AppError } from '../../server/core/errors.js';
import { federationError } from '../errors.js';
import { parseInput } from '../../server/core/validate.js';
import type { Logger } from '../../server/logger.js';
import type { Store } from '../../server/store/port.js';
import { newId } from '../../server/crypto.js';
import type { Actors } from '../actors/actors.js';
import type { Apex, ApexActivity, ApexActor, ApexObject } from '../apex-types.js';
import {
  apFollowsCollection,
  apRemotePostsCollection,
  apRemoteReactionsCollection,
  apSentLikesCollection,
  type ApFollowDoc,
  type FollowState,
} from '../federation.collections.js';
import { eachPage } from '../../server/store/paging.js';
import { fetchJson, FetchError, type OutboundOptions } from '../fetch.js';
import type { Iris } from '../iris.js';
import { idOf } from '../as.js';

/** `name@host` (a port is allowed), with or without a leading @ or acct:, or an actor IRI. */
export const followInput = z.strictObject({
  target: z.string().trim().min(3).max(300),
});

const ACCOUNT = /^@?(?:acct:)?([A-Za-z0-9_.~-]{1,100})@([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)$/;
const ACTOR_TYPES = new Set(['Group', 'Person', 'Service', 'Application', 'Organization']);

export interface FollowView {
  readonly id: string;
  readonly actor: string;
  readonly target: string;
  readonly state: FollowState;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const view = (f: ApFollowDoc): FollowView => ({
  id: f.id,
  actor: f.localActor,
  target: f.remoteActor,
  state: f.state,
  createdAt: f.createdAt,
  updatedAt: f.updatedAt,
});

export interface FollowsDeps {
  readonly apex: Apex;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly store: Store;
  readonly outbound: OutboundOptions;
  readonly logger: Logger;
  /** The deny list or allow-list (policy.ts). */
  /** Whether the deny list or allow-list lets us reach the actor (as it is now, across processes). */
  readonly allows: (iri: string) => Promise<boolean>;
  /** Told when a remote actor accepts our follow (the mirror reads what it already holds). */
  readonly onAccepted?: (remoteActor: string) => void;
}

/** A clean copy of a Follow to embed in an Accept, Reject or Undo (no bookkeeping, no embedded documents). */
export const followStub = (follow: ApexActivity) => ({ id: follow.id, type: 'Follow', actor: idOf(follow.actor), object: idOf(follow.object) });

/**
 * Follows of remote actors by the instance: how an admin subscribes the
 * instance to another instance's board (a Group). The Follow comes from the
 * instance's `follows` Person, never from a member. The remote answers
 * with Accept or Reject, recorded here; apex keeps the accepted Follow in the
 * Person's `following` collection.
 */
export class FollowsService {
  private readonly follows;

  constructor(private readonly deps: FollowsDeps) {
    this.follows = deps.store.collection(apFollowsCollection);
  }

  /** Resolves `name@host` through WebFinger (or takes an IRI as it is) to an actor IRI. */
  async resolveTarget(target: string): Promise<string> {
    if (/^https?:\/\//i.test(target)) return target;
    const m = ACCOUNT.exec(target);
    if (!m) throw federationError(422, 'bad_account_address', true);
    const [, name, host] = m;
    // Only tests (which allow private addresses) run peers on plain http.
    const scheme = this.deps.outbound.allowPrivateNetwork ? 'http' : 'https';
    if (!(await this.deps.allows(`${scheme}://${host}/`))) throw federationError(403, 'server_refused', true);
    const url = `${scheme}://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${name}@${host}`)}`;
    let json: unknown;
    try {
      ({ json } = await fetchJson(url, { ...this.deps.outbound, accept: 'application/jrd+json, application/json' }));
    } catch (error) {
      throw remoteError(error);
    }
    const links = (json as { links?: unknown }).links;
    const self = Array.isArray(links)
      ? (links as { rel?: unknown; type?: unknown; href?: unknown }[]).find(
          (l) => l.rel === 'self' && typeof l.href === 'string' && typeof l.type === 'string' && /activity\+json|ld\+json/.test(l.type),
        )
      : undefined;
    if (!self) throw federationError(404, 'remote_actor_not_found', true);
    return self.href as string;
  }

  async follow(raw: unknown): Promise<FollowView> {
    const input = parseInput(followInput, raw);
    const { apex, actors, iris } = this.deps;
    const targetIri = await this.resolveTarget(input.target);
    if (iris.isLocal(targetIri)) throw federationError(422, 'cannot_follow_local', true);
    if (!(await this.deps.allows(targetIri))) throw federationError(403, 'server_refused', true);
    let target: ApexObject | null | undefined;
    try {
      target = await apex.resolveObject(targetIri, false, true);
    } catch (error) {
      throw remoteError(error);
    }
    if (!target || !ACTOR_TYPES.has(target.type) || !idOf(target.inbox)) throw federationError(422, 'not_an_actor', true);
    const me = await actors.servicePerson('follows');
    for (const localActor of iris.followingActors()) {
      const existing = await this.follows.findOne({ localActor, remoteActor: target.id });
      if (existing && existing.state !== 'rejected') return view(existing);
      if (existing) await this.follows.delete(existing.id);
    }

    const follow = await apex.buildActivity('Follow', me.id, [target.id], { object: target.id });
    const now = Date.now();
    const doc: ApFollowDoc = { id: newId(), localActor: me.id, remoteActor: target.id, followId: follow.id, state: 'pending', createdAt: now, updatedAt: now };
    try {
      await this.follows.insert(doc);
    } catch {
      throw federationError(409, 'already_following', true);
    }
    await apex.addToOutbox(me, follow);
    return view(doc);
  }

  async list(): Promise<FollowView[]> {
    const pages = await Promise.all(
      this.deps.iris.followingActors().map((localActor) => this.follows.find({ where: { localActor }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 500 })),
    );
    return pages
      .flatMap((page) => page.items)
      .sort((x, y) => y.createdAt - x.createdAt)
      .slice(0, 500)
      .map(view);
  }

  /** Withdraws a follow: an Undo goes to the remote, and the follow is forgotten here. */
  async unfollow(id: string): Promise<void> {
    const { apex, actors, iris } = this.deps;
    const doc = typeof id === 'string' && id.length <= 64 ? await this.follows.get(id) : null;
    if (!doc || !iris.followingActors().includes(doc.localActor)) throw federationError(404, 'follow_not_found', true);
    const me = await actors.resolveIri(doc.localActor);
    const follow = await apex.store.getActivity(doc.followId, true);
    if (me && follow && doc.state !== 'rejected') {
      const undo = await apex.buildActivity('Undo', me.id, [doc.remoteActor], { object: followStub(follow) });
      await apex.addToOutbox(me, undo);
      await apex.store.removeActivity(follow, me.id);
    }
    await this.follows.delete(doc.id);
    if ((await this.follows.count({ remoteActor: doc.remoteActor })) === 0) await this.forgetLikes(doc.remoteActor);
  }

  /**
   * Members' likes of a board no longer followed: kept under blinded ids of that board, which account deletion and
   * export look for on followed boards only, they would outlive every way of finding them.
   */
  private async forgetLikes(group: string): Promise<void> {
    const { store } = this.deps;
    const posts: string[] = [];
    await eachPage((after) => store.collection(apRemotePostsCollection).find({ where: { groupIri: group }, orderBy: { field: 'kind' }, limit: 500, after }), (post) => posts.push(post.id));
    await store.transaction(async (tx) => {
      for (const postIri of posts) {
        await tx.collection(apRemoteReactionsCollection).deleteWhere({ postIri });
        await tx.collection(apSentLikesCollection).deleteWhere({ postIri });
      }
    });
  }

  /** An Accept or Reject of one of our follows arrived (apex has checked who sent it). */
  async onAnswer(type: 'Accept' | 'Reject', sender: ApexActor, recipient: ApexActor, object: ApexObject | undefined): Promise<void> {
    if (!object || object.type !== 'Follow' || idOf(object.actor) !== recipient.id) return;
    const doc = await this.follows.findOne({ followId: object.id });
    if (!doc || doc.remoteActor !== sender.id || doc.localActor !== recipient.id) return;
    const state: FollowState = type === 'Accept' ? 'accepted' : 'rejected';
    if (doc.state !== state) {
      await this.follows.patch(doc.id, { state, updatedAt: Date.now() });
      if (state === 'accepted') this.deps.onAccepted?.(sender.id);
    }
    this.deps.logger.info({ state, host: new URL(sender.id).host }, 'follow answered');
  }

  /** The IRIs of the actors following a local actor. */
  async followersOf(actor: ApexActor): Promise<string[]> {
    // Infinity is apex's "every page"; its store resolves each follower to the stored actor object.
    const page = await this.deps.apex.getFollowers(actor, Infinity as unknown as number, true);
    return page.orderedItems.map(idOf).filter((i): i is string => i !== null);
  }
}

function remoteError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof FetchError && error.status === 404) return federationError(404, 'remote_actor_not_found', true);
  return federationError(422, 'remote_unreachable', true);
}
