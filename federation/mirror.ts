import type { RequestHandler } from 'express';
import { z } from 'zod';
import { cleanHtml } from '../server/content/markdown.js';
import type { ApiRouter } from '../server/http/api-router.js';
import type { Logger } from '../server/logger.js';
import type { Store } from '../server/store/port.js';
import { federationError } from './errors.js';
import { apFollowsCollection, apRemotePostsCollection, type ApRemotePostDoc } from './federation.collections.js';
import { InboxRefusal } from './inbox.js';

export interface MirrorDeps {
  readonly store: Store;
  readonly logger: Logger;
}

/** apex's compacted JSON-LD has arrays almost everywhere; the first value is the one that counts. */
const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);
const idOf = (value: unknown): string | null => {
  const v = first(value);
  if (typeof v === 'string') return v;
  return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;
};
const ids = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(idOf).filter((v): v is string => !!v);
const text = (value: unknown): string | null => {
  const v = first(value);
  return typeof v === 'string' ? v : null;
};

const sameOrigin = (a: string, b: string) => {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
};

/** What a mirrored post must carry once read from JSON-LD; anything else is refused. */
const postObject = z.object({
  id: z.url(),
  type: z.enum(['Page', 'Note', 'Article']),
  attributedTo: z.url(),
  content: z.string().max(200_000),
  name: z.string().max(1000).nullable(),
  summary: z.string().max(1000).nullable(),
  context: z.url().nullable(),
  inReplyTo: z.url().nullable(),
  published: z.string().nullable(),
  updated: z.string().nullable(),
});

const dateOf = (value: string | null): number | null => {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
};

/**
 * The receiving side of a followed remote board (FEP-1b12): an inner
 * activity (Create, Update, Delete of a thread or reply) is accepted only
 * inside an Announce whose actor, already proved to be the signer, is a
 * Group this instance follows, and only when the inner activity belongs to
 * that Group (its actor, or its audience, on the Group's own origin). What it
 * carries is kept in ap_remote_posts, HTML cleaned like local posts, so that
 * members read the remote board here even when its origin is away.
 *
 * It runs in the inbox right after the signature checks and answers
 * Announces itself: apex's own Announce handling (shares collections,
 * fetching the object) is not what a mirror needs.
 */
export class RemoteMirror {
  constructor(private readonly deps: MirrorDeps) {}

  /** Inbox middleware: Announces end here; everything else goes on to apex. */
  gate(): RequestHandler {
    return (req, res, next) => {
      const activity = req.body as Record<string, unknown>;
      if (activity.type !== 'Announce') {
        next();
        return;
      }
      this.receive(activity).then(() => res.status(202).end(), next);
    };
  }

  private async receive(announce: Record<string, unknown>): Promise<void> {
    const { store, logger } = this.deps;
    const group = idOf(announce.actor);
    if (!group) throw new InboxRefusal(400, 'bad_activity');
    const follow = await store.collection(apFollowsCollection).findOne({ remoteActor: group, state: 'accepted' });
    if (!follow) throw new InboxRefusal(403, 'not_followed');

    const inner = first(announce.object);
    // The inbox cuts an embedded object from another origin down to its IRI: a Group announces only its own.
    if (typeof inner === 'string' && !sameOrigin(inner, group)) throw new InboxRefusal(403, 'not_group_activity');
    if (!inner || typeof inner !== 'object') {
      // Announces by IRI (or embedded from another origin, cut to an IRI by the inbox) would need a fetch; not supported yet.
      logger.info({ group }, 'announce without an embedded activity ignored');
      return;
    }
    const activity = inner as Record<string, unknown>;
    const type = activity.type;
    const actor = idOf(activity.actor);
    if (!actor || typeof activity.id !== 'string' || !sameOrigin(activity.id, group) || !sameOrigin(actor, group)) {
      throw new InboxRefusal(403, 'not_group_activity');
    }
    if (actor !== group && !ids(activity.audience).includes(group)) throw new InboxRefusal(403, 'not_group_activity');

    if (type === 'Delete') {
      const target = idOf(activity.object);
      if (!target || !sameOrigin(target, group)) throw new InboxRefusal(403, 'not_group_activity');
      await this.remove(group, target);
      return;
    }
    if (type !== 'Create' && type !== 'Update') {
      logger.info({ group, type }, 'announced activity not mirrored');
      return;
    }
    const raw = first(activity.object);
    if (!raw || typeof raw !== 'object') throw new InboxRefusal(400, 'object_not_embedded');
    const o = raw as Record<string, unknown>;
    const parsed = postObject.safeParse({
      id: o.id,
      type: o.type,
      attributedTo: idOf(o.attributedTo),
      content: text(o.content) ?? '',
      name: text(o.name),
      summary: text(o.summary),
      context: idOf(o.context),
      inReplyTo: idOf(o.inReplyTo),
      published: text(o.published),
      updated: text(o.updated),
    });
    if (!parsed.success) throw new InboxRefusal(400, 'bad_object');
    const post = parsed.data;
    // The object must be the Group's (audience) and the author must be the one who Created it.
    if (!ids(o.audience).includes(group) || post.attributedTo !== actor || !sameOrigin(post.id, group)) {
      throw new InboxRefusal(403, 'not_group_activity');
    }
    const posts = store.collection(apRemotePostsCollection);
    const existing = await posts.get(post.id);
    if (existing && existing.groupIri !== group) throw new InboxRefusal(403, 'not_group_activity');
    const isThread = post.type === 'Page' || !post.inReplyTo;
    const doc: ApRemotePostDoc = {
      id: post.id,
      groupIri: group,
      threadIri: isThread ? post.id : (post.context ?? post.inReplyTo!),
      inReplyTo: isThread ? null : post.inReplyTo,
      kind: isThread ? 'Page' : 'Note',
      title: isThread ? (post.name ?? '') : null,
      html: cleanHtml(post.content),
      summary: post.summary,
      attributedTo: post.attributedTo,
      published: dateOf(post.published) ?? existing?.published ?? Date.now(),
      updated: dateOf(post.updated),
      receivedAt: Date.now(),
    };
    await posts.upsert(doc);
  }

  private async remove(group: string, iri: string): Promise<void> {
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const found = await posts.get(iri);
    if (!found || found.groupIri !== group) return;
    // A removed thread takes its replies with it.
    if (found.kind === 'Page') await posts.deleteWhere({ threadIri: iri });
    await posts.delete(iri);
  }

  async threads(group: string): Promise<ThreadOfRemote[]> {
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const heads = await posts.find({ where: { groupIri: group, kind: 'Page' }, orderBy: { field: 'published', direction: 'desc' }, limit: 100 });
    const out: ThreadOfRemote[] = [];
    for (const head of heads.items) {
      const all = await posts.find({ where: { threadIri: head.id }, orderBy: { field: 'published' }, limit: 1000 });
      out.push({ ...view(head), replies: all.items.filter((p) => p.id !== head.id).map(view) });
    }
    return out;
  }
}

export interface RemotePostView {
  id: string;
  title: string | null;
  html: string;
  summary: string | null;
  attributedTo: string;
  inReplyTo: string | null;
  published: string;
}

export interface ThreadOfRemote extends RemotePostView {
  replies: RemotePostView[];
}

const view = (p: ApRemotePostDoc): RemotePostView => ({
  id: p.id,
  title: p.title,
  html: p.html,
  summary: p.summary,
  attributedTo: p.attributedTo,
  inReplyTo: p.inReplyTo,
  published: new Date(p.published).toISOString(),
});

const remoteQuery = z.strictObject({ group: z.url() });

/** Members read a followed remote board's mirrored threads (GET /api/v1/federation/remote?group=<Group IRI>). */
export function mirrorApi(api: ApiRouter, mirror: RemoteMirror, store: Store): void {
  api.route({
    method: 'get', path: '/federation/remote', tag: 'federation', access: 'member', query: remoteQuery,
    summary: 'The threads of a followed remote board, with their replies, as mirrored here',
    handler: async ({ query }) => {
      const follow = await store.collection(apFollowsCollection).findOne({ remoteActor: query.group, state: 'accepted' });
      if (!follow) throw federationError(404, 'not_followed');
      return { group: query.group, threads: await mirror.threads(query.group) };
    },
  });
}
