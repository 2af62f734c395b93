import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { AccountsService } from '../../server/accounts/accounts.service.js';
import { isSuspended } from '../../server/accounts/accounts.service.js';
import type { BoardsService } from '../../server/forums/boards.service.js';
import type { InstanceService } from '../../server/instance/instance.service.js';
import type { Store } from '../../server/store/port.js';
import type { Apex, ApexActor } from '../apex-types.js';
import type { PortApexStore } from '../apex-store.js';
import { apDepartedKeysCollection, apMembersCollection, DISCOVERABLE_BY_DEFAULT } from '../federation.collections.js';
import type { Signer } from '../fetch.js';
import { multikeyOf } from '../integrity.js';
import { ACTOR_STREAMS, SERVICE_PERSONS, type Iris, type LocalActorRef, type ServicePerson } from '../iris.js';

const generateKeyPair = promisify(crypto.generateKeyPair);

export interface ActorsDeps {
  readonly apex: Apex;
  readonly iris: Iris;
  readonly apexStore: PortApexStore;
  readonly store: Store;
  readonly forums: BoardsService;
  readonly accounts: AccountsService;
  readonly instance: InstanceService;
}

/** How every board's anonymous member is shown; the same on every board, so it tells nothing apart. */
const ANONYMOUS_NAME = 'Anonymous member';
/** The kinds of key every actor has: an RSA key for HTTP signatures, an Ed25519 one for FEP-8b32 proofs. */
const KEY_KINDS = ['rsa', 'ed25519'];
const PROOF_KEY_FRAGMENT = '#ed25519-key';
/** How every board's moderators' Person is shown. */
const MODERATORS_NAME = 'Moderators';

/**
 * The WebFinger names of the board's anonymous member and of the instance's Persons. A dot is in neither a board's
 * slug nor a member's handle, so these never stand for a board or a member.
 */
export const anonymousName = (slug: string) => `anonymous.${slug}`;
export const moderatorsName = (slug: string) => `moderators.${slug}`;
export const serviceName = (name: ServicePerson) => `instance.${name}`;

/** The local actor a WebFinger name made by anonymousName or serviceName stands for, or null. */
export function refOfDottedName(name: string): LocalActorRef | null {
  const lower = name.toLowerCase();
  const service = SERVICE_PERSONS.find((s) => lower === serviceName(s));
  if (service) return { kind: 'service', name: service };
  const m = /^(anonymous|moderators)\.([a-z0-9-]{2,40})$/.exec(lower);
  return m ? { kind: m[1] as 'anonymous' | 'moderators', slug: m[2]! } : null;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Parasol's own actors: the instance (Application, FEP-2677), one Group per
 * public board (FEP-1b12) with its one anonymous member (a Person), the
 * instance's Persons that follow and report, and one Person per member who
 * chose to federate. Each is created with its RSA key the first time it is
 * needed and refreshed when what it shows (a board's name, a member's display
 * name) changes.
 *
 * Whether an actor may be reached at all is decided here, on every request:
 * a board that is not public, a member who is not active, and anything else
 * (rooms have no actor) answer as if they did not exist.
 */
export class Actors {
  private readonly inflight = new Map<string, Promise<ApexActor>>();
  private readonly keys = new Map<string, Signer>();
  private readonly proofKeys = new Map<string, { verificationMethod: string; privateKey: crypto.KeyObject }>();

  constructor(private readonly deps: ActorsDeps) {}

  get hostname(): string {
    return new URL(this.deps.iris.base).hostname;
  }

  async instanceActor(): Promise<ApexActor> {
    const ref: LocalActorRef = { kind: 'instance' };
    const settings = this.deps.instance.settings();
    return this.ensure(ref, {
      type: 'Application',
      preferredUsername: this.hostname,
      name: settings.name,
      url: `${this.deps.iris.base}/`,
      // The instance actor signs the instance's fetches and follows; nobody follows it.
      manuallyApprovesFollowers: true,
      discoverable: false,
      indexable: false,
    });
  }

  /** The Group of a public board, or null when the board does not exist or is not public. */
  async boardActor(slug: string): Promise<ApexActor | null> {
    const board = await this.publicBoard(slug);
    if (!board) return null;
    const iri = this.deps.iris.actor({ kind: 'board', slug: board.slug });
    return this.ensure({ kind: 'board', slug: board.slug }, {
      type: 'Group',
      // Lemmy's and Mbin's moderators, and the pinned threads (actors/board-collections.ts).
      attributedTo: `${iri}/moderators`,
      featured: `${iri}/featured`,
      // One delivery per server for all its followers' boards (inbound/shared-inbox.ts).
      endpoints: { sharedInbox: `${this.deps.iris.base}/ap/inbox` },
      preferredUsername: board.slug,
      name: board.name,
      ...(board.description ? { summary: `<p>${escapeHtml(board.description)}</p>` } : {}),
      url: `${this.deps.iris.base}/b/${board.slug}`,
      manuallyApprovesFollowers: false,
      discoverable: true,
      // Posts on sex workers' forums should not land in other servers' full-text search.
      indexable: false,
      postingRestrictedToMods: false,
    });
  }

  async publicBoard(slug: string) {
    if (typeof slug !== 'string' || !/^[a-z0-9-]{2,40}$/.test(slug)) return null;
    try {
      const board = await this.deps.forums.getBoard(null, slug);
      return board.visibility === 'public' ? board : null;
    } catch {
      // Not found, or not readable by an anonymous visitor: members-only boards never federate.
      return null;
    }
  }

  /**
   * A public board's one "anonymous member" Person, or null when the board is not public. Anonymous posts, and posts
   * of members who never chose to federate, go out under it: Lemmy and Mbin take a post only from a Person, and one
   * Person per board (not per member) links nothing a member wrote to anything else they wrote. It has its own key
   * and WebFinger name, since NodeBB checks a key's owner through WebFinger.
   */
  async anonymousActor(slug: string): Promise<ApexActor | null> {
    const board = await this.publicBoard(slug);
    if (!board) return null;
    return this.ensure({ kind: 'anonymous', slug: board.slug }, {
      type: 'Person',
      preferredUsername: anonymousName(board.slug),
      name: ANONYMOUS_NAME,
      url: `${this.deps.iris.base}/b/${board.slug}`,
      manuallyApprovesFollowers: true,
      discoverable: false,
      indexable: false,
    });
  }

  /**
   * A public board's moderators as one Person, or null when the board is not public: the actor of the board's
   * moderation sent elsewhere (a thread locked or pinned), which Lemmy and Mbin take only from a Person listed among
   * the community's moderators. One Person for the whole team, so that no moderator is named by what they did.
   */
  async moderatorsActor(slug: string): Promise<ApexActor | null> {
    const board = await this.publicBoard(slug);
    if (!board) return null;
    return this.ensure({ kind: 'moderators', slug: board.slug }, {
      type: 'Person',
      preferredUsername: moderatorsName(board.slug),
      name: MODERATORS_NAME,
      url: `${this.deps.iris.base}/b/${board.slug}`,
      manuallyApprovesFollowers: true,
      discoverable: false,
      indexable: false,
    });
  }

  /**
   * One of the instance's own Persons: `follows` follows remote boards (Lemmy and Mbin take a Follow of a community
   * only from a Person), `reports` sends members' reports (Lemmy takes a Flag only from a Person) and `anonymous`
   * Likes posts of remote boards for the members who did not choose to federate (one Person for all of them, so a
   * peer counts their reactions once and can tell no member apart), so that no member is ever named in any of them.
   */
  async servicePerson(name: ServicePerson): Promise<ApexActor> {
    const settings = this.deps.instance.settings();
    return this.ensure({ kind: 'service', name }, {
      type: 'Person',
      preferredUsername: serviceName(name),
      name: name === 'anonymous' ? ANONYMOUS_NAME : settings.name,
      url: `${this.deps.iris.base}/`,
      manuallyApprovesFollowers: true,
      discoverable: false,
      indexable: false,
    });
  }

  /**
   * A member's Person, or null. An active, unsuspended member has one when
   * discoverable; a member who made themselves non-discoverable keeps the one
   * that already exists (their federated posts must still verify) but gets no
   * new one, unless they write on another server's board (`toWrite`).
   * `discoverableOnly` asks only for members who chose to be discoverable now (the moderators a Group lists).
   */
  async memberActor(handle: string, options: { discoverableOnly?: boolean; toWrite?: boolean } = {}): Promise<ApexActor | null> {
    if (typeof handle !== 'string' || !/^[A-Za-z0-9_]{1,60}$/.test(handle)) return null;
    const account = await this.deps.accounts.byHandle(handle);
    if (!account || account.status !== 'active' || isSuspended(account)) return null;
    const members = this.deps.store.collection(apMembersCollection);
    const prefs = await members.get(account.id);
    const discoverable = prefs?.discoverable ?? DISCOVERABLE_BY_DEFAULT;
    // Writing on another server's board needs a Person, but does not make its member discoverable.
    if (!discoverable && (options.discoverableOnly || (!prefs?.actorIri && !options.toWrite))) return null;
    const ref: LocalActorRef = { kind: 'member', handle: account.handleLower };
    const actor = await this.ensure(ref, {
      type: 'Person',
      preferredUsername: account.handle,
      name: account.displayName || account.handle,
      manuallyApprovesFollowers: false,
      discoverable,
      indexable: false,
      // Account moves (moves.ts): where the member came from, and where they went.
      ...(prefs?.alsoKnownAs?.length ? { alsoKnownAs: prefs.alsoKnownAs } : {}),
      ...(prefs?.movedTo ? { movedTo: prefs.movedTo } : {}),
    });
    if (!prefs?.actorIri) {
      await members.upsert({ ...prefs, id: account.id, discoverable, actorIri: actor.id, updatedAt: Date.now() });
    }
    return actor;
  }

  /** The actor a local IRI names, when it may be reached. */
  async resolve(ref: LocalActorRef): Promise<ApexActor | null> {
    switch (ref.kind) {
      case 'instance':
        return this.instanceActor();
      case 'service':
        return this.servicePerson(ref.name);
      case 'board':
        return this.boardActor(ref.slug);
      case 'anonymous':
        return this.anonymousActor(ref.slug);
      case 'moderators':
        return this.moderatorsActor(ref.slug);
      case 'member':
        return this.memberActor(ref.handle);
    }
  }

  async resolveIri(iri: string): Promise<ApexActor | null> {
    const ref = this.deps.iris.parseActor(iri);
    return ref ? this.resolve(ref) : null;
  }

  /** The public JSON document of an actor (no private key: apex drops `_` keys when it serialises). */
  async document(actor: ApexActor): Promise<string> {
    return this.deps.apex.stringifyPublicJSONLD(await this.deps.apex.toJSONLD(actor));
  }

  /** The Ed25519 key that signs FEP-8b32 proofs as `actorId`, with the verification method that names it. */
  async proofSigner(actorId: string): Promise<{ verificationMethod: string; privateKey: crypto.KeyObject } | null> {
    const cached = this.proofKeys.get(actorId);
    if (cached) return cached;
    const actor = await this.deps.apexStore.getObject(actorId, true);
    const pem = actor?._meta?.proofKey;
    if (typeof pem !== 'string') return null;
    const signer = { verificationMethod: `${actorId}${PROOF_KEY_FRAGMENT}`, privateKey: crypto.createPrivateKey(pem) };
    this.proofKeys.set(actorId, signer);
    return signer;
  }

  /**
   * The key that signs as `actorId`, cached: keys never change once made. A deleted member's Person still signs the
   * deliveries of its own Delete (and its posts') while they are retried, with the key kept for that
   * (actors/departures.ts); that key is read each time and never cached, so it goes when the store drops it.
   */
  async signer(actorId: string): Promise<Signer | null> {
    const cached = this.keys.get(actorId);
    if (cached) return cached;
    const privateKeyPem = await this.deps.apexStore.signingKey(actorId);
    if (!privateKeyPem) {
      const departed = await this.deps.store.collection(apDepartedKeysCollection).get(actorId);
      return departed ? { keyId: `${actorId}#main-key`, privateKeyPem: departed.privateKeyPem } : null;
    }
    const signer = { keyId: `${actorId}#main-key`, privateKeyPem };
    this.keys.set(actorId, signer);
    return signer;
  }

  /** Forgets the keys cached for an actor that is gone (a deleted member's Person). */
  forget(actorId: string): void {
    this.keys.delete(actorId);
    this.proofKeys.delete(actorId);
  }

  private ensure(ref: LocalActorRef, shown: Record<string, unknown>): Promise<ApexActor> {
    const iri = this.deps.iris.actor(ref);
    let task = this.inflight.get(iri);
    if (!task) {
      task = this.load(ref, iri, shown).finally(() => this.inflight.delete(iri));
      this.inflight.set(iri, task);
    }
    // Each caller gets its own copy: apex writes into the objects it is given.
    return task.then((actor) => withLocal(structuredClone(actor)));
  }

  private async load(ref: LocalActorRef, iri: string, shown: Record<string, unknown>): Promise<ApexActor> {
    const { apex, apexStore, iris } = this.deps;
    // The keys' kinds are part of it: an actor made before it had an Ed25519 key gets one.
    const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ ...shown, keys: KEY_KINDS })).digest('base64url');
    const existing = (await apexStore.getObject(iri, true)) as ApexActor | null;
    if (existing && existing._meta?.fingerprint === fingerprint) return existing;

    let publicKeyPem: string;
    let privateKey: string;
    if (existing?._meta?.privateKey) {
      privateKey = existing._meta.privateKey;
      publicKeyPem = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    } else {
      // 2048-bit RSA, as Mastodon uses: a 4096-bit key takes seconds to make on a small server.
      const pair = await generateKeyPair('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      publicKeyPem = pair.publicKey;
      privateKey = pair.privateKey;
    }
    const proofKey =
      typeof existing?._meta?.proofKey === 'string'
        ? existing._meta.proofKey
        : crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const streams = Object.fromEntries(ACTOR_STREAMS.map((s) => [s, iris.stream(ref, s)]));
    const doc = (await apex.fromJSONLD({
      '@context': apex.context,
      id: iri,
      ...shown,
      ...streams,
      publicKey: { id: `${iri}#main-key`, owner: iri, publicKeyPem },
      // FEP-521a: what FEP-8b32 proofs of this actor's activities verify with.
      assertionMethod: [{ id: `${iri}${PROOF_KEY_FRAGMENT}`, type: 'Multikey', controller: iri, publicKeyMultibase: multikeyOf(crypto.createPublicKey(proofKey)) }],
    })) as ApexActor;
    doc._meta = { privateKey, proofKey, fingerprint };
    if (existing) {
      await apexStore.updateObject(doc, null, true);
      return doc;
    }
    if (!(await apexStore.saveObject(doc))) {
      // Another process made it first.
      const stored = (await apexStore.getObject(iri, true)) as ApexActor | null;
      if (stored) return stored;
    }
    return doc;
  }
}

/** apex expects a target actor to carry per-request data (its block list) under `_local`. */
function withLocal(actor: ApexActor): ApexActor {
  actor._local = { blockList: [] };
  return actor;
}

