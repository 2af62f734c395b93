import { z } from 'zod';
import { noContent, type ApiRouter } from '../server/http/api-router.js';
import type { Store } from '../server/store/port.js';
import type { Actors } from './actors/actors.js';
import { parseInput } from '../server/core/validate.js';
import { federationError } from './errors.js';
import { apMembersCollection, DISCOVERABLE_BY_DEFAULT } from './federation.collections.js';
import { followInput, type FollowsService } from './remote-boards/follows.js';
import type { DeliveryQueue } from './outbound/delivery-queue.js';
import { modeInput, ruleInput, type FederationPolicy } from './policy.js';

export interface FederationApiDeps {
  readonly actors: Actors;
  readonly follows: FollowsService;
  readonly queue: DeliveryQueue;
  readonly store: Store;
  readonly policy: FederationPolicy;
}

const discoverableInput = z.strictObject({ discoverable: z.boolean() });

/**
 * The JSON API of federation (under /api/v1/federation):
 * admins make the instance follow a remote board (`target` is `board@host`
 * or an actor IRI), list and withdraw those follows, see who follows a
 * board and how many deliveries wait; every member decides whether WebFinger
 * finds them.
 */
export function federationApi(api: ApiRouter, deps: FederationApiDeps): void {
  const { actors, follows, queue, store, policy } = deps;
  const tag = 'federation';
  const members = store.collection(apMembersCollection);

  api.route({
    method: 'post', path: '/federation/follows', tag, access: 'admin', body: followInput, status: 201,
    summary: 'Make this instance follow a remote board or actor (name@host or an actor IRI)',
    handler: async ({ body }) => ({ follow: await follows.follow(body) }),
  });
  api.route({
    method: 'get', path: '/federation/follows', tag, access: 'admin', summary: 'Remote actors this instance follows, with their answer',
    handler: async () => ({ follows: await follows.list() }),
  });
  api.route({
    method: 'delete', path: '/federation/follows/:id', tag, access: 'admin', summary: 'Stop following a remote actor (sends Undo)',
    handler: ({ req }) => noContent(follows.unfollow(String(req.params.id))),
  });
  api.route({
    method: 'get', path: '/federation/boards/:slug/followers', tag, access: 'admin', summary: 'Remote actors following a public board',
    handler: async ({ req }) => {
      const actor = await actors.boardActor(String(req.params.slug));
      if (!actor) throw federationError(404, 'board_not_federated');
      return { actor: actor.id, followers: await follows.followersOf(actor) };
    },
  });
  api.route({
    method: 'get', path: '/federation/status', tag, access: 'admin', summary: 'Federation state: the instance actor and the delivery queue',
    handler: async () => ({ instanceActor: (await actors.instanceActor()).id, pendingDeliveries: await queue.pendingDeliveries() }),
  });
  api.route({
    method: 'get', path: '/federation/policy', tag, access: 'admin', summary: 'The federation mode (open or allow-list) and the deny and allow rules',
    handler: async () => policy.view(),
  });
  api.route({
    method: 'put', path: '/federation/policy/mode', tag, access: 'admin', body: modeInput,
    summary: 'Federate with every server not denied (`open`) or only with allowed domains (`allowlist`)',
    handler: async ({ body }) => policy.setMode(body),
  });
  api.route({
    method: 'post', path: '/federation/policy/rules', tag, access: 'admin', body: ruleInput, status: 201,
    summary: 'Deny a domain (defederate) or a remote actor, or allow a domain; a denial drops its followers, follows and mirrored posts',
    handler: async ({ body }) => ({ rule: await policy.addRule(body) }),
  });
  api.route({
    method: 'delete', path: '/federation/policy/rules/:target', tag, access: 'admin', summary: 'Lift a rule (the target URL-encoded)',
    handler: ({ req }) => noContent(policy.removeRule(String(req.params.target))),
  });
  api.route({
    method: 'get', path: '/federation/me', tag, access: 'member', summary: 'Your federation settings',
    handler: async ({ account }) => {
      const prefs = await members.get(account!.id);
      return { discoverable: prefs?.discoverable ?? DISCOVERABLE_BY_DEFAULT, actor: prefs?.actorIri ?? null };
    },
  });
  api.route({
    method: 'put', path: '/federation/me', tag, access: 'member', body: discoverableInput,
    summary: 'Choose whether other servers can look you up by handle (WebFinger)',
    handler: async ({ account, body: raw }) => {
      const body = parseInput(discoverableInput, raw);
      const prefs = await members.get(account!.id);
      await members.upsert({ ...prefs, id: account!.id, discoverable: body.discoverable, actorIri: prefs?.actorIri ?? null, updatedAt: Date.now() });
      return { discoverable: body.discoverable, actor: prefs?.actorIri ?? null };
    },
  });
}
