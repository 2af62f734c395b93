import type { ApexRoutes, CollectionInfo } from './apex-types.js';

/**
 * Parasol's ActivityPub IRIs, stable once published (remote servers store them):
 *   /ap/instance            the instance (Application) actor
 *   /ap/b/:slug             a board's Group actor
 *   /ap/u/:handle           a member's Person actor (handle in lower case)
 *   …/inbox, …/outbox, …/followers, …/following of each actor
 *   /ap/s/:id               an activity,  /ap/o/:id  an object
 *
 * apex names an actor by one route parameter; Parasol's apex name is the path
 * after /ap/ ("instance", "b/general", "u/alice"), so apex's own IRI builders
 * produce exactly the IRIs above.
 */
export type LocalActorRef =
  | { readonly kind: 'instance' }
  | { readonly kind: 'board'; readonly slug: string }
  | { readonly kind: 'member'; readonly handle: string };

export const ACTOR_STREAMS = ['inbox', 'outbox', 'followers', 'following', 'liked'] as const;
export type ActorStream = (typeof ACTOR_STREAMS)[number];

/** Internal collections apex keeps per actor (never served); apex keys them by preferredUsername. */
const INTERNAL_STREAMS = ['blocked', 'rejected', 'rejections'] as const;

export const apexRoutes: ApexRoutes = {
  actor: '/ap/:actor',
  object: '/ap/o/:id',
  activity: '/ap/s/:id',
  inbox: '/ap/:actor/inbox',
  outbox: '/ap/:actor/outbox',
  followers: '/ap/:actor/followers',
  following: '/ap/:actor/following',
  liked: '/ap/:actor/liked',
  collections: '/ap/:actor/c/:id',
  blocked: '/ap/:actor/blocked',
  rejections: '/ap/:actor/rejections',
  rejected: '/ap/:actor/rejected',
  shares: '/ap/s/:id/shares',
  likes: '/ap/s/:id/likes',
};

export function apexName(ref: LocalActorRef): string {
  switch (ref.kind) {
    case 'instance':
      return 'instance';
    case 'board':
      return `b/${ref.slug.toLowerCase()}`;
    case 'member':
      return `u/${ref.handle.toLowerCase()}`;
  }
}

/**
 * apex lower-cases the ids in its IRIs (and looks them up lower-cased), while
 * our ids are mixed-case base64url: the hex of the same bytes is a stable,
 * reversible, lower-case id.
 */
export const apId = (id: string) => Buffer.from(id, 'base64url').toString('hex');

/** The id an apId stands for, or null when it is not one. */
export const idOfApId = (hex: string): string | null => (/^(?:[0-9a-f]{2}){1,48}$/.test(hex) ? Buffer.from(hex, 'hex').toString('base64url') : null);

/**
 * A server name as an admin types it (`example.org`, `host:port`, a leading `*.` or trailing dot allowed), lower-cased,
 * or null. URL() would quietly accept and rewrite a path, a user or odd characters: the name must come back as typed.
 */
export function hostOfInput(input: string): string | null {
  const domain = input.trim().toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
  let parsed: string;
  try {
    parsed = new URL(`https://${domain}/`).host;
  } catch {
    return null;
  }
  return parsed === domain && /^[a-z0-9.-]+(:\d{1,5})?$/.test(domain) ? domain : null;
}

export class Iris {
  readonly base: string;
  /** The instance's own host (with its port, if any), lower-case. */
  readonly host: string;

  constructor(publicUrl: string) {
    this.base = publicUrl.replace(/\/+$/, '');
    this.host = new URL(this.base).host.toLowerCase();
  }

  actor(ref: LocalActorRef): string {
    return `${this.base}/ap/${apexName(ref)}`;
  }

  stream(ref: LocalActorRef, stream: ActorStream): string {
    return `${this.actor(ref)}/${stream}`;
  }

  isLocal(iri: string): boolean {
    return iri === this.base || iri.startsWith(`${this.base}/`);
  }

  /** Which local actor an actor IRI names, or null. */
  parseActor(iri: string): LocalActorRef | null {
    if (!this.isLocal(iri)) return null;
    const path = iri.slice(this.base.length);
    if (path === '/ap/instance') return { kind: 'instance' };
    const m = /^\/ap\/([bu])\/([A-Za-z0-9_-]{1,60})$/.exec(path);
    if (!m) return null;
    return m[1] === 'b' ? { kind: 'board', slug: m[2]! } : { kind: 'member', handle: m[2]! };
  }

  /** apex's iriToCollectionInfo for Parasol's IRIs (apex's own cannot parse names with a slash). */
  collectionInfo(iri: string): CollectionInfo | undefined {
    if (typeof iri !== 'string' || !this.isLocal(iri)) return undefined;
    const path = iri.slice(this.base.length);
    const actor = '(instance|[bu]/[^/]+)';
    let m = new RegExp(`^/ap/${actor}/(${ACTOR_STREAMS.join('|')})$`).exec(path);
    if (m) return { name: m[2]!, actor: m[1]! };
    m = new RegExp(`^/ap/${actor}/c/([^/]+)$`).exec(path);
    if (m) return { name: 'collections', actor: m[1]!, id: m[2]! };
    m = /^\/ap\/s\/([^/]+)\/(shares|likes)$/.exec(path);
    if (m) return { name: m[2]!, activity: m[1]! };
    m = new RegExp(`^/ap/([^/]+)/(${INTERNAL_STREAMS.join('|')})$`).exec(path);
    if (m) return { name: m[2]!, actor: m[1]! };
    return undefined;
  }
}
