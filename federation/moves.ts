import crypto from 'node:crypto';
import { z } from 'zod';
import type { AccountDoc } from '../server/accounts/accounts.collections.js';
import { profileInput, type AccountsService } from '../server/accounts/accounts.service.js';
import { PASSPHRASE_MAX, PASSPHRASE_MIN } from '../server/accounts/passphrase.js';
import { requireMemberKey, type MemberKey } from '../server/core/member-key.js';
import type { ApiRouter } from '../server/http/api-router.js';
import { fieldError, unauthorized } from '../server/core/errors.js';
import { parseInput } from '../server/core/validate.js';
import type { Logger } from '../server/logger.js';
import { allItems, eachPage } from '../server/store/paging.js';
import type { Store } from '../server/store/port.js';
import type { Actors } from './actors/actors.js';
import type { PortApexStore } from './apex-store.js';
import type { Apex, ApexActor } from './apex-types.js';
import { ids, idOf, sameOrigin } from './as.js';
import { federationError } from './errors.js';
import { apMembersCollection, apRemotePostsCollection, apSentPostsCollection } from './federation.collections.js';
import { InboxRefusal } from './inbound/refusal.js';
import { apId, type Iris } from './iris.js';
import type { RegionalNetwork } from './network.js';
import type { RemoteContributions } from './inbound/contributions.js';

const AS = 'https://www.w3.org/ns/activitystreams';
const MOVE_CONTEXT = { alsoKnownAs: { '@id': 'as:alsoKnownAs', '@type': '@id' }, movedTo: { '@id': 'as:movedTo', '@type': '@id' } };

const exportPayload = z.strictObject({
  type: z.literal('ParasolAccountExport'),
  version: z.literal(1),
  actor: z.url(),
  handle: z.string().regex(/^[A-Za-z0-9_]{1,60}$/),
  name: z.string().max(100),
  instance: z.string().max(253),
  exportedAt: z.string().max(40),
  /** IRIs of the member's posts on public boards (never their anonymous ones). */
  posts: z.array(z.url()).max(100_000),
  /** What the member chose on the old instance, to have it again on the new one. */
  settings: z
    .strictObject({
      locale: z.string().max(20).nullable(),
      discreet: z.boolean().nullable(),
      discoverable: z.boolean(),
    })
    .optional(),
});

/**
 * The member key, sealed under a passphrase the member chose (see AccountKeys.seal): it lets the member carry
 * their anonymous identity along. It sits beside the signed payload, is never part of a Move sent to partners,
 * and the server keeps no copy of the file.
 */
const sealedMemberKey = z.strictObject({
  format: z.literal('parasol-member-key'),
  version: z.literal(1),
  kdf: z.string().max(300),
  wrap: z.string().max(200),
});

/** The export file: the member's account, attested by their instance's key, so a partner can trust it after that instance is gone. */
export const signedExport = z.strictObject({
  export: exportPayload,
  signedBy: z.url(),
  signature: z.string().max(2000),
  memberKey: sealedMemberKey.optional(),
});

/** With a passphrase, the export carries the member key sealed under it; without, it carries no key material. */
export const exportInput = z.strictObject({ keyPassphrase: z.string().min(PASSPHRASE_MIN).max(PASSPHRASE_MAX).optional() });

export type SignedExport = z.infer<typeof signedExport>;

/**
 * The export file, and to take up the member key sealed in it: the passphrase it was sealed under and the account's
 * own passphrase (the key is wrapped under it again). Without them the file is imported without its key.
 */
export const importInput = signedExport.extend({
  keyPassphrase: z.string().min(1).max(PASSPHRASE_MAX).optional(),
  passphrase: z.string().min(1).max(PASSPHRASE_MAX).optional(),
});

export const moveInput = z.strictObject({ target: z.url().max(2048) });

export interface MovesDeps {
  readonly store: Store;
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly network: RegionalNetwork;
  readonly accounts: AccountsService;
  readonly contributions: RemoteContributions;
  /** The languages this instance offers (an imported language is kept only when it is one of them). */
  readonly locales: () => readonly string[];
  readonly logger: Logger;
}

/** The bytes that are signed: the payload's JSON with its keys in a fixed order (settings last, when there are any). */
const canonical = (payload: z.infer<typeof exportPayload>) => {
  const { settings } = payload;
  return JSON.stringify([
    payload.type,
    payload.version,
    payload.actor,
    payload.handle,
    payload.name,
    payload.instance,
    payload.exportedAt,
    payload.posts,
    ...(settings ? [[settings.locale, settings.discreet, settings.discoverable]] : []),
  ]);
};

/**
 * Account portability in a regional network (FEP-7628). A member exports
 * their account; the file is signed by this instance's actor key, which
 * partners have pinned. On a partner, the member imports it into a new
 * account: it becomes `alsoKnownAs` the old actor and takes the member's
 * name and settings, the partner's mirrored
 * posts by the old actor are linked to the new one, and the partners are
 * told with a `Move` by the new actor carrying the signed export, which
 * they check against the old instance's pinned key, so this works when
 * the old instance is already gone (pull mode). While the old instance is
 * up, the member can also move from there (push mode): the old actor sends
 * `Move` once the new one names it in `alsoKnownAs`, and points to it with
 * `movedTo`.
 */
export class AccountMoves {
  constructor(private readonly deps: MovesDeps) {}

  async exportFor(account: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<SignedExport> {
    if (!account) throw unauthorized('login_required');
    const { keyPassphrase } = parseInput(exportInput, raw ?? {});
    const memberKey = keyPassphrase === undefined ? undefined : await this.deps.accounts.sealMemberKey(account, requireMemberKey(key), keyPassphrase);
    const { actors, store, iris } = this.deps;
    const person = await actors.memberActor(account.handle, { toWrite: true });
    if (!person) throw federationError(403, 'suspended');
    const posts: string[] = [];
    await eachPage(
      (after) => store.collection(apSentPostsCollection).find({ where: { authorIri: person.id }, orderBy: { field: 'updatedAt' }, limit: 500, after }),
      (record) => {
        if (!record.deleted) posts.push(`${iris.base}/ap/o/${apId(record.id)}`);
      },
    );
    const prefs = await store.collection(apMembersCollection).get(account.id);
    const payload = {
      type: 'ParasolAccountExport' as const,
      version: 1 as const,
      actor: person.id,
      handle: account.handle,
      name: account.displayName || account.handle,
      instance: iris.host,
      exportedAt: new Date().toISOString(),
      posts,
      settings: { locale: account.locale, discreet: account.discreet ?? null, discoverable: prefs?.discoverable ?? false },
    };
    const me = await actors.instanceActor();
    const signer = await actors.signer(me.id);
    if (!signer) throw federationError(409, 'no_key');
    const signature = crypto.sign('sha256', Buffer.from(canonical(payload)), signer.privateKeyPem).toString('base64');
    return { export: payload, signedBy: me.id, signature, ...(memberKey ? { memberKey } : {}) };
  }

  /** Whether the export was signed by a partner instance's pinned key, and names an actor of that instance. */
  private attested(file: SignedExport): boolean {
    const partner = this.deps.network.partnerOf(file.signedBy);
    if (!partner || partner.id !== file.export.instance || !sameOrigin(file.export.actor, partner.actorIri)) return false;
    return verifies(file, partner.publicKeyPem);
  }

  /** Whether the export was signed by this instance's own key, and names an actor of this instance. */
  private async attestedHere(file: SignedExport): Promise<boolean> {
    const { actors, iris } = this.deps;
    const me = await actors.instanceActor();
    if (file.signedBy !== me.id || file.export.instance !== iris.host || !iris.isLocal(file.export.actor)) return false;
    const signer = await actors.signer(me.id);
    return !!signer && verifies(file, crypto.createPublicKey(signer.privateKeyPem));
  }

  /**
   * Pull mode: the member brings their export to their new account here. With the key's passphrase and their own,
   * the member key sealed in the file becomes the account's (MovedKeys): everything is checked before anything
   * changes, and the key is stored last, after which the member logs in again with the recovery codes answered.
   */
  async importFor(account: AccountDoc | null, raw: unknown): Promise<{ alsoKnownAs: string[]; relinked: number; memberKey: 'taken_up' | 'already_taken_up' | 'not_taken_up'; recoveryCodes?: string[] }> {
    if (!account) throw unauthorized('login_required');
    const { keyPassphrase, passphrase, ...file } = parseInput(importInput, raw);
    if (!this.deps.network.partnerOf(file.signedBy)) throw federationError(422, 'export_not_from_partner', true);
    if (!this.attested(file)) throw federationError(422, 'export_signature_invalid', true);
    if (keyPassphrase !== undefined && !file.memberKey) throw fieldError('keyPassphrase', 'validation.export_has_no_key');
    if (keyPassphrase !== undefined && passphrase === undefined) throw fieldError('passphrase', 'validation.required');
    const takeUp = keyPassphrase !== undefined ? await this.deps.accounts.movedKeys.prepare(account, file.memberKey!, keyPassphrase, passphrase!) : undefined;
    const { actors, store } = this.deps;
    const members = store.collection(apMembersCollection);
    const prefs = await members.get(account.id);
    const alsoKnownAs = [...new Set([...(prefs?.alsoKnownAs ?? []), file.export.actor])];
    const settings = file.export.settings;
    const discoverable = (prefs?.discoverable ?? false) || (settings?.discoverable ?? false);
    await members.upsert({ ...prefs, id: account.id, discoverable, actorIri: prefs?.actorIri ?? null, alsoKnownAs, updatedAt: Date.now() });
    // The name goes with the member unless the new account was given one of its own (not its handle, the default);
    // a language only if it is offered here.
    const profile = {
      ...(account.displayName && account.displayName !== account.handle ? {} : { displayName: file.export.name }),
      ...(settings && settings.locale !== null && this.deps.locales().includes(settings.locale) ? { locale: settings.locale } : {}),
      ...(settings && settings.discreet !== null ? { discreet: settings.discreet } : {}),
    };
    if (profileInput.safeParse(profile).success) await this.deps.accounts.updateProfile(account.id, profile);
    const person = await actors.memberActor(account.handle, { toWrite: true });
    if (!person) throw federationError(403, 'suspended');
    const relinked = (await this.relink(file.export.actor, person.id)) + (await this.deps.contributions.relinkAuthor(file.export.actor, person.id, { accountId: account.id }));
    // The partners are told by the new actor, with the export as proof: the signed part only, the sealed member key
    // stays with the member.
    const attestation = { export: file.export, signedBy: file.signedBy, signature: file.signature };
    await this.deliver(person.id, { type: 'Move', actor: person.id, object: file.export.actor, target: person.id, attestation });
    this.deps.logger.info({ relinked }, 'account moved in (import)');
    if (takeUp === undefined) return { alsoKnownAs, relinked, memberKey: 'not_taken_up' };
    if (takeUp === null) return { alsoKnownAs, relinked, memberKey: 'already_taken_up' };
    const { recoveryCodes } = await this.deps.accounts.movedKeys.take(takeUp);
    return { alsoKnownAs, relinked, memberKey: 'taken_up', recoveryCodes };
  }

  /** Push mode: the member, still here, moves to an account that already names this one in `alsoKnownAs`. */
  async moveOut(account: AccountDoc | null, raw: unknown): Promise<{ movedTo: string }> {
    if (!account) throw unauthorized('login_required');
    const { target } = parseInput(moveInput, raw);
    const { actors, apex, iris } = this.deps;
    if (iris.isLocal(target)) throw federationError(422, 'cannot_follow_local', true);
    const person = await actors.memberActor(account.handle, { toWrite: true });
    if (!person) throw federationError(403, 'suspended');
    let doc: Record<string, unknown> | null;
    try {
      doc = (await apex.requestObject(target)) as Record<string, unknown> | null;
    } catch {
      throw federationError(422, 'remote_unreachable', true);
    }
    if (!doc || !ids(doc.alsoKnownAs).includes(person.id)) throw federationError(422, 'move_target_unlinked', true);
    await this.pointTo(account, person, target);
    return { movedTo: target };
  }

  /** The old account here points to the new one (`movedTo`), and tells its followers and the partners with a Move. */
  private async pointTo(account: AccountDoc, person: ApexActor, target: string): Promise<void> {
    const { actors, store } = this.deps;
    const members = store.collection(apMembersCollection);
    const prefs = await members.get(account.id);
    await members.upsert({ ...prefs, id: account.id, discoverable: prefs?.discoverable ?? false, actorIri: person.id, movedTo: target, updatedAt: Date.now() });
    await actors.memberActor(account.handle, { toWrite: true });
    await this.deliver(person.id, { type: 'Move', actor: person.id, object: person.id, target }, [person.followers[0]!]);
  }

  /**
   * A pull-mode Move that reached the member's old instance, this one (FEP-7628): the new account, on a partner,
   * signed it and carries the export this instance signed for the member. Everything is checked before the old
   * account points to the new one: the export verifies with this instance's own key and names `from`, which is
   * still a member's Person here under the handle exported, and has not moved elsewhere; the new account is on a
   * partner's server.
   */
  private async movedAway(from: string, to: string, attestation: unknown): Promise<void> {
    const { actors, iris, accounts, store, network } = this.deps;
    const proof = signedExport.safeParse(attestation);
    if (!proof.success || proof.data.export.actor !== from || !(await this.attestedHere(proof.data))) throw new InboxRefusal(403, 'move_unproven');
    const partnerHost = network.list().some((p) => sameOrigin(p.actorIri, to));
    if (!partnerHost) throw new InboxRefusal(403, 'move_not_partner');
    const ref = iris.parseActor(from);
    const account = ref?.kind === 'member' ? await accounts.byHandle(ref.handle) : null;
    const person = account && account.handleLower === proof.data.export.handle.toLowerCase() ? await actors.memberActor(account.handle) : null;
    const prefs = account ? await store.collection(apMembersCollection).get(account.id) : null;
    if (!account || !person || person.id !== from || prefs?.actorIri !== from) throw new InboxRefusal(403, 'move_unproven');
    if (prefs.movedTo === to) return;
    // Once moved, the account stays where its member took it: a later export of it in other hands moves nothing.
    if (prefs.movedTo) throw new InboxRefusal(403, 'already_moved');
    await this.pointTo(account, person, to);
    this.deps.logger.info('account moved away (pull move received)');
  }

  /** Mirrored posts by the old actor are shown as the new one's. */
  private async relink(from: string, to: string): Promise<number> {
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const written = await allItems((after) => posts.find({ where: { attributedTo: from }, limit: 500, after }));
    const moved = written.map((p) => p.id);
    for (const id of moved) await posts.patch(id, { attributedTo: to });
    return moved.length;
  }

  /** Signed by the moving actor; to every partner's instance and to `extra` inboxes or followers collections. */
  private async deliver(actor: string, activity: Record<string, unknown>, extra: readonly string[] = []): Promise<void> {
    await this.deps.network.fresh();
    const partners = this.deps.network.list();
    const followers: string[] = [];
    // A member's followers are few (members are not discoverable unless they choose): one page is all of them.
    for (const collection of extra) {
      for (const item of await this.deps.apexStore.getStream(collection, 1000)) {
        const follower = idOf((item as { actor?: unknown }).actor);
        if (follower) followers.push(follower);
      }
    }
    const inboxes = [...new Set([...partners.map((p) => p.inbox), ...(await this.inboxesOf(followers))])];
    const body = JSON.stringify({
      '@context': [AS, MOVE_CONTEXT],
      id: `${this.deps.iris.base}/ap/s/move-${crypto.randomBytes(12).toString('hex')}`,
      to: partners.map((p) => p.actorIri),
      published: new Date().toISOString(),
      ...activity,
    });
    await this.deps.apexStore.deliveryEnqueue(actor, body, inboxes);
  }

  private async inboxesOf(actorIris: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const iri of actorIris) {
      const doc = (await this.deps.apexStore.getObject(iri)) as Record<string, unknown> | null;
      const inbox = idOf((doc?.endpoints as Record<string, unknown> | undefined)?.sharedInbox) ?? idOf(doc?.inbox);
      if (inbox) out.push(inbox);
    }
    return out;
  }

  /** A Move that passed the inbox gate, signed by `signer` (inbound/handlers/move.handler.ts); checked before anything is relinked. */
  async receive(body: Record<string, unknown>, signer: { readonly owner: string } | null): Promise<void> {
    const from = idOf(body.object);
    const to = idOf(body.target);
    if (!signer || !from || !to || from === to) throw new InboxRefusal(400, 'bad_move');
    let target: Record<string, unknown> | null;
    try {
      target = await this.readActor(to);
    } catch {
      throw new InboxRefusal(422, 'move_target_unreachable');
    }
    // The new account must name the old one, whoever announces the move.
    if (!target || !ids(target.alsoKnownAs).includes(from)) throw new InboxRefusal(403, 'move_target_unlinked');
    if (this.deps.iris.isLocal(from)) {
      // Only the new account can tell the old instance: no one else can sign as our own member's Person.
      if (signer.owner !== to) throw new InboxRefusal(403, 'not_author');
      await this.movedAway(from, to, body.attestation);
      return;
    }
    if (signer.owner === from) {
      // Push: the old account itself moves.
    } else if (signer.owner === to) {
      // Pull: the new account moves in; the old instance's signed export proves the old account was theirs.
      const proof = signedExport.safeParse(body.attestation);
      if (!proof.success || proof.data.export.actor !== from || !this.attested(proof.data)) throw new InboxRefusal(403, 'move_unproven');
    } else {
      throw new InboxRefusal(403, 'not_author');
    }
    const relinked = (await this.relink(from, to)) + (await this.deps.contributions.relinkAuthor(from, to, { doc: target }));
    this.deps.logger.info({ relinked }, 'account move received');
  }

  /** An actor's document: ours as we serve it (a member who moved here), anyone else's from its origin. */
  private async readActor(iri: string): Promise<Record<string, unknown> | null> {
    const { actors, apex, iris } = this.deps;
    if (!iris.isLocal(iri)) return (await apex.requestObject(iri)) as Record<string, unknown> | null;
    const actor = await actors.resolveIri(iri);
    return actor ? (JSON.parse(await actors.document(actor)) as Record<string, unknown>) : null;
  }
}

/** Whether the export's signature verifies with `key`. */
function verifies(file: SignedExport, key: crypto.KeyLike): boolean {
  try {
    return crypto.verify('sha256', Buffer.from(canonical(file.export)), key, Buffer.from(file.signature, 'base64'));
  } catch {
    return false;
  }
}

export function movesApi(api: ApiRouter, moves: AccountMoves): void {
  const tag = 'federation';
  api.route({
    method: 'post', path: '/federation/me/export', tag, access: 'member',
    summary: 'Your account as a file signed by this instance, to move to a partner instance (also after this one is gone); with {keyPassphrase}, it carries your member key sealed under that passphrase',
    handler: async ({ req, account }) => moves.exportFor(account, req.memberKey, req.body),
  });
  api.route({
    method: 'post', path: '/federation/me/import', tag, access: 'member', body: importInput,
    summary:
      'Move in: your export from a partner instance becomes part of this account (alsoKnownAs), and the partners are told; with {keyPassphrase, passphrase}, the member key sealed in it becomes this account\'s (only while the account holds nothing anonymous yet): every session ends and new recovery codes are answered',
    handler: async ({ account, body }) => moves.importFor(account, body),
  });
  api.route({
    method: 'post', path: '/federation/me/move', tag, access: 'member', body: moveInput,
    summary: 'Move out to an account on another instance that already names this one in alsoKnownAs: {target}',
    handler: async ({ account, body }) => moves.moveOut(account, body),
  });
}
