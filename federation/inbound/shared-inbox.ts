import type { RequestHandler } from 'express';
import type { Actors } from '../actors/actors.js';
import type { Apex, ApexObject } from '../apex-types.js';
import { first, idOf, ids } from '../as.js';
import type { Iris, LocalActorRef } from '../iris.js';

export interface SharedInboxDeps {
  readonly apex: Apex;
  readonly actors: Actors;
  readonly iris: Iris;
}

/**
 * The shared inbox (`/ap/inbox`, the Groups' `endpoints.sharedInbox`): Lemmy, Mbin and Mastodon deliver there once
 * for all of a server's actors. After the signature checks, each activity is taken as if it had reached the inbox of
 * the local actor it is for, so that every later step (the handlers, apex) sees what a personal inbox shows:
 * - a Follow, the actor it follows; an Undo of a Follow, the actor that was followed;
 * - an Accept or Reject, the actor whose Follow it answers;
 * - an Announce, the instance's `follows` Person (it follows remote boards);
 * - anything else, the public board it names (audience, to, cc, its own or its object's);
 * - otherwise the instance actor.
 */
export function sharedInboxTarget(deps: SharedInboxDeps): RequestHandler {
  const { apex, actors, iris } = deps;
  const local = (iri: string | null): LocalActorRef | null => (iri ? iris.parseActor(iri) : null);
  /** An embedded activity, or the one of ours an IRI names. */
  const activityOf = async (value: unknown): Promise<Record<string, unknown> | null> => {
    const v = first(value);
    if (v && typeof v === 'object') return v as Record<string, unknown>;
    return typeof v === 'string' && iris.isLocal(v) ? ((await apex.store.getActivity(v)) as Record<string, unknown> | null) : null;
  };

  async function refFor(activity: Record<string, unknown>): Promise<LocalActorRef | null> {
    const type = activity.type;
    if (type === 'Follow') return local(idOf(activity.object));
    if (type === 'Announce') return { kind: 'service', name: 'follows' };
    const object = await activityOf(activity.object);
    if (type === 'Accept' || type === 'Reject') return local(idOf(object?.actor));
    if (type === 'Undo' && object?.type === 'Follow') return local(idOf(object.object));
    const inner = first(activity.object);
    const embedded = inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
    for (const iri of [activity.audience, embedded.audience, activity.to, activity.cc, embedded.to, embedded.cc].flatMap(ids)) {
      const ref = local(iri);
      if (ref?.kind === 'board') return ref;
    }
    return null;
  }

  return (req, res, next) => {
    (async () => {
      const ref = await refFor(req.body as Record<string, unknown>);
      const target = (ref && (await actors.resolve(ref))) || (await actors.instanceActor());
      // The handlers read which board or member an inbox is for from the path's parameters.
      if (ref?.kind === 'board' && target.type === 'Group') req.params.slug = ref.slug;
      if (ref?.kind === 'member' && target.type === 'Person') req.params.handle = ref.handle;
      (res.locals as { apex: { target?: ApexObject } }).apex.target = target;
      next();
    })().catch(next);
  };
}
