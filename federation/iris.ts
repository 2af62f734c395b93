import type { ApexRoutes, CollectionInfo } from './apex-types.js';

/**
 * The instance's own Persons: the one that follows remote boards, the one that sends members' reports, and the
 * instance's one anonymous member on other servers' boards (who Likes there for members who did not choose to federate).
 */
export const SERVICE_PERSONS = ['follows', 'reports', 'anonymous'] as const;
export type ServicePerson = (typeof SERVICE_PERSONS)[number];

/**
 * Parasol's ActivityPub IRIs, stable once published (remote servers store them):
 *   /ap/instance            the instance (Application) actor
 *   /ap/b/:slug             a board's Group actor
 *   /ap/a/:slug             a board's one "anonymous member" Person
 *   /ap/m/:slug             a board's moderators as one Person (who locks and pins its threads elsewhere)
 *   /ap/u/:handle           a member's Person actor (handle in lower case)
 *   /ap/follows, /ap/reports  the instance's Persons that follow remote boards and send reports
 *   /ap/anonymous           the instance's anonymous member, whose Likes on remote boards stand for members' reactions
 *   …/inbox, …/outbox, …/followers, …/following of each actor
 *   /ap/s/:id               an activity,  /ap/o/:id  an object
 *
 * apex names an actor by one route parameter; Parasol's apex name is the path
 * after /ap/ ("instance", "b/general", "u/alice"), so apex's own IRI builders
 * produce exactly the IRIs above.
 */
export type LocalActorRef =
  | { readonly kind: 'instance' }
  | { readonly kind: 'service'; readonly name: ServicePerson }
  | { readonly kind: 'board'; readonly slug: string }
  | { readonly kind: 'anonymous'; readonly slug: string }
  | { readonly kind: 'moderators'; readonly slug: string }
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
    case 'service':
      return ref.name;
    case 'board':
      return `b/${ref.slug.toLowerCase()}`;
    case 'anonymous':
      return `a/${ref.slug.toLowerCase()}`;
    case 'moderators':
      return `m/${ref.slug.toLowerCase()}`;
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

  /**
   * The local actors whose follows of remote boards are the instance's: its `follows` Person, and the instance actor,
   * which followed before Lemmy's and Mbin's rule (a community is followed by a Person) was met.
   */
  followingActors(): string[] {
    return [this.actor({ kind: 'service', name: 'follows' }), this.actor({ kind: 'instance' })];
  }

  /** Which local actor an actor IRI names, or null. */
  parseActor(iri: string): LocalActorRef | null {
    if (!this.isLocal(iri)) return null;
    const path = iri.slice(this.base.length);
    if (path === '/ap/instance') return { kind: 'instance' };
    const service = SERVICE_PERSONS.find((name) => path === `/ap/${name}`);
    if (service) return { kind: 'service', name: service };
    const m = /^\/ap\/([abmu])\/([A-Za-z0-9_-]{1,60})$/.exec(path);
    if (!m) return null;
    if (m[1] === 'u') return { kind: 'member', handle: m[2]! };
    return { kind: m[1] === 'b' ? 'board' : m[1] === 'm' ? 'moderators' : 'anonymous', slug: m[2]! };
  }

  /** The board's moderators' Person, for a Group IRI of ours. */
  moderatorsOf(groupIri: string): string | null {
    const ref = this.parseActor(groupIri);
    return ref?.kind === 'board' ? this.actor({ kind: 'moderators', slug: ref.slug }) : null;
  }

  /** The IRI of the anonymous member of the board a Group IRI of a Parasol instance names, or null. */
  static anonymousOf(groupIri: string): string | null {
    const m = /^(https?:\/\/[^/]+)\/ap\/b\/([a-z0-9-]{2,40})$/.exec(groupIri);
    return m ? `${m[1]}/ap/a/${m[2]}` : null;
  }

  /** apex's iriToCollectionInfo for Parasol's IRIs (apex's own cannot parse names with a slash). */
  collectionInfo(iri: string): CollectionInfo | undefined {
    if (typeof iri !== 'string' || !this.isLocal(iri)) return undefined;
    const path = iri.slice(this.base.length);
    const actor = `(instance|${SERVICE_PERSONS.join('|')}|[abmu]/[^/]+)`;
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
