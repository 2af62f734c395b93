import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import type { ApiRouter } from '../server/http/api-router.js';
import { parseInput } from '../server/core/validate.js';
import type { Logger } from '../server/logger.js';
import { AppError } from '../server/core/errors.js';
import type { PartnerSharingService, SharedReview } from '../server/reviews/partner-sharing.service.js';
import { eachPage } from '../server/store/paging.js';
import type { Store } from '../server/store/port.js';
import type { Actors } from './actors/actors.js';
import type { PortApexStore } from './apex-store.js';
import type { Apex } from './apex-types.js';
import { idOf, text } from './as.js';
import { federationError } from './errors.js';
import { apPartnersCollection, apSentReviewsCollection, type ApPartnerDoc } from './federation.collections.js';
import { InboxRefusal } from './inbound/refusal.js';
import type { SettingsRevision } from './settings-revision.js';
import { DATE_WINDOW_MS } from './inbound/request.js';
import { apId, hostOfInput, idOfApId, type Iris } from './iris.js';
import { parseSignatureHeader, signatureHeaderOf, signingString, verifySignature } from './signatures.js';

const AS = 'https://www.w3.org/ns/activitystreams';
/** Parasol's own term for a review shared in a regional network; only partner instances send or read it. */
const REVIEW_TYPE = 'ParasolReview';
/** Sent by an instance that has just added a partner: the partner, if it has added it too, sends what it shares. */
const PARTNER_TYPE = 'ParasolPartner';
const NETWORK_CONTEXT = {
  ParasolReview: 'https://parasol.invalid/ns#ParasolReview',
  ParasolPartner: 'https://parasol.invalid/ns#ParasolPartner',
  review: 'https://parasol.invalid/ns#review',
};

export const partnerInput = z.strictObject({
  /** The partner instance's domain (with a port, if any). */
  domain: z.string().trim().toLowerCase().min(3).max(253),
});

export interface NetworkDeps {
  readonly store: Store;
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly sharing: PartnerSharingService;
  readonly logger: Logger;
  readonly allowPrivateNetwork: boolean;
  /** Tells the deny list / allow-list which hosts are partners (always allowed). */
  readonly onPartners: (hosts: ReadonlySet<string>) => void;
  /** Tells the other processes of a change, and this one of theirs (settings-revision.ts). */
  readonly revision: SettingsRevision;
}

/**
 * A regional network: partner instances, added by their admins on both
 * sides, whose instance actors' keys are fetched once and pinned. Reviews
 * on `network` boards go to the partners' instance actors, addressed to
 * them only (never Public), with their identifier digests: partners set
 * the same board secret out of band, so a look-up on one instance finds the
 * warnings posted on another without any identifier crossing the network.
 * The reviews are served at their IRIs only to requests signed with a
 * partner's pinned key (authorized fetch); anyone else gets 401 or 403.
 */
export class RegionalNetwork {
  private partners = new Map<string, ApPartnerDoc>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: NetworkDeps) {}

  async load(): Promise<void> {
    const all = new Map<string, ApPartnerDoc>();
    await eachPage(
      (after) => this.deps.store.collection(apPartnersCollection).find({ orderBy: { field: 'addedAt' }, limit: 500, after }),
      (p) => {
        all.set(p.id, p);
      },
    );
    this.partners = all;
    this.deps.onPartners(new Set(all.keys()));
  }

  /** Loads the partners again if another process changed them since: before list() or partnerOf() on a request. */
  fresh(): Promise<void> {
    return this.deps.revision.current();
  }

  list(): ApPartnerDoc[] {
    return [...this.partners.values()].sort((a, b) => a.addedAt - b.addedAt);
  }

  /** The partner whose instance actor this is, if any. */
  partnerOf(actorIri: string): ApPartnerDoc | null {
    for (const p of this.partners.values()) if (p.actorIri === actorIri) return p;
    return null;
  }

  async add(raw: unknown): Promise<ApPartnerDoc> {
    const { domain } = parseInput(partnerInput, raw);
    const { apex, iris, store } = this.deps;
    await this.fresh();
    const host = hostOfInput(domain);
    if (!host) throw federationError(422, 'rule_target_invalid', true);
    if (host === iris.host) throw federationError(422, 'rule_target_local', true);
    if (this.partners.has(host)) throw federationError(409, 'partner_exists', true);
    const scheme = this.deps.allowPrivateNetwork ? 'http' : 'https';
    const actorIri = `${scheme}://${host}/ap/instance`;
    let actor: Record<string, unknown> | null;
    try {
      actor = (await apex.requestObject(actorIri)) as Record<string, unknown> | null;
    } catch {
      throw federationError(422, 'remote_unreachable', true);
    }
    const key = actor ? (Array.isArray(actor.publicKey) ? actor.publicKey[0] : actor.publicKey) as Record<string, unknown> | undefined : undefined;
    const pem = text(key?.publicKeyPem);
    const keyId = idOf(key);
    if (!actor || actor.id !== actorIri || !['Application', 'Service'].includes(String(actor.type)) || !pem || !keyId || idOf(key?.owner) !== actorIri) {
      throw federationError(422, 'not_an_actor', true);
    }
    const doc: ApPartnerDoc = { id: host, actorIri, inbox: idOf(actor.inbox) ?? `${actorIri}/inbox`, keyId, publicKeyPem: pem, addedAt: Date.now() };
    await store.collection(apPartnersCollection).insert(doc);
    await this.deps.revision.changed();
    await this.load();
    this.deps.logger.info({ host }, 'partner added');
    // What the network boards already hold reaches the new partner too; if it has not added us yet, it will
    // refuse it, and our hello asks it to ask again once it has.
    await this.deps.sharing.eachShared((id) => this.send(id, [doc]));
    const me = await this.deps.actors.instanceActor();
    await this.deliver(me.id, { type: 'Add', object: { id: me.id, type: PARTNER_TYPE }, to: [doc] }, `${apId(crypto.randomBytes(9).toString('base64url'))}`);
    return doc;
  }

  async remove(domain: string): Promise<void> {
    const host = typeof domain === 'string' ? domain.toLowerCase() : '';
    await this.fresh();
    if (!this.partners.has(host)) throw federationError(404, 'partner_not_found', true);
    await this.deps.store.collection(apPartnersCollection).delete(host);
    await this.deps.revision.changed();
    await this.load();
  }

  // ---- sending ---------------------------------------------------------------

  /** Queues the review's reconciliation with what partners were sent; errors are logged. */
  onReviewChange(reviewId: string): Promise<void> {
    const previous = this.running.get(reviewId) ?? Promise.resolve();
    const task = previous
      .then(() => this.sync(reviewId))
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'sharing a review failed'))
      .finally(() => {
        if (this.running.get(reviewId) === task) this.running.delete(reviewId);
      });
    this.running.set(reviewId, task);
    return task;
  }

  private async sync(reviewId: string): Promise<void> {
    await this.fresh();
    const sent = await this.deps.store.collection(apSentReviewsCollection).get(reviewId);
    const shared = await this.deps.sharing.shared(reviewId);
    if (shared) await this.send(reviewId, this.list(), shared, sent?.version);
    else if (sent && !sent.deleted) await this.retract(reviewId);
  }

  reviewIri(reviewId: string): string {
    return `${this.deps.iris.base}/ap/r/${apId(reviewId)}`;
  }

  private async send(reviewId: string, to: readonly ApPartnerDoc[], known?: SharedReview | null, sentVersion?: string): Promise<void> {
    const shared = known ?? (await this.deps.sharing.shared(reviewId));
    if (!shared || to.length === 0) return;
    const version = crypto.createHash('sha256').update(JSON.stringify(shared)).digest('base64url').slice(0, 16);
    // Nothing new for the partners who have it (a newly added partner is sent it with no version).
    if (sentVersion === version) return;
    const me = await this.deps.actors.instanceActor();
    const object = { id: this.reviewIri(reviewId), type: REVIEW_TYPE, attributedTo: me.id, to: to.map((p) => p.actorIri), review: shared };
    await this.deliver(me.id, { type: sentVersion ? 'Update' : 'Create', object, to }, `${apId(reviewId)}-${version}`);
    await this.deps.store.collection(apSentReviewsCollection).upsert({ id: reviewId, version, deleted: false, updatedAt: Date.now() });
  }

  private async retract(reviewId: string): Promise<void> {
    const me = await this.deps.actors.instanceActor();
    const to = this.list();
    await this.deliver(me.id, { type: 'Delete', object: { id: this.reviewIri(reviewId), type: 'Tombstone' }, to }, `${apId(reviewId)}-delete`);
    await this.deps.store.collection(apSentReviewsCollection).patch(reviewId, { deleted: true, updatedAt: Date.now() });
  }

  /** Signed and queued like every delivery; addressed to the partners only, never Public. */
  private async deliver(actor: string, activity: { type: string; object: Record<string, unknown>; to: readonly ApPartnerDoc[] }, suffix: string): Promise<void> {
    if (activity.to.length === 0) return;
    const body = JSON.stringify({
      '@context': [AS, NETWORK_CONTEXT],
      id: `${this.deps.iris.base}/ap/s/review-${activity.type.toLowerCase()}-${suffix}`,
      type: activity.type,
      actor,
      to: activity.to.map((p) => p.actorIri),
      object: activity.object,
      published: new Date().toISOString(),
    });
    await this.deps.apexStore.deliveryEnqueue(actor, body, activity.to.map((p) => p.inbox));
  }

  // ---- receiving ---------------------------------------------------------------

  /**
   * The object of an inbox activity when it is Parasol's partner vocabulary (a shared review, a partnership, a
   * review's deletion), read from the body as its sender wrote it; else null.
   */
  partnerObject(body: Record<string, unknown>): Record<string, unknown> | null {
    const object = body.object as Record<string, unknown> | undefined;
    const isReview =
      !!object &&
      typeof object === 'object' &&
      (object.type === REVIEW_TYPE || object.type === PARTNER_TYPE || (body.type === 'Delete' && typeof object.id === 'string' && this.isReviewIri(object.id)));
    return isReview ? object : null;
  }

  private isReviewIri(iri: string): boolean {
    try {
      return /^\/ap\/r\/[0-9a-f]+$/.test(new URL(iri).pathname);
    } catch {
      return false;
    }
  }

  /** A shared review or partnership, from partners only, signed with the key pinned for them (`signer`, as the inbox gate verified it). */
  async receive(body: Record<string, unknown>, object: Record<string, unknown>, signer: { readonly owner: string; readonly publicKeyPem: string } | null): Promise<void> {
    const partner = signer ? this.partnerOf(signer.owner) : null;
    if (!partner || !signer) throw new InboxRefusal(403, 'not_partner');
    // A partner's key is pinned when it is added: a changed key is refused until an admin adds the partner again.
    if (signer.publicKeyPem.trim() !== partner.publicKeyPem.trim()) throw new InboxRefusal(403, 'partner_key_changed');
    if (object.type === PARTNER_TYPE) {
      // The partner has added us (again): everything we share goes to it, whatever it was sent before.
      await this.deps.sharing.eachShared((id) => this.send(id, [partner]));
      return;
    }
    const iri = typeof object.id === 'string' ? object.id : '';
    if (!iri.startsWith(`${new URL(partner.actorIri).origin}/`) || !this.isReviewIri(iri)) throw new InboxRefusal(403, 'not_partner_object');
    if (body.type === 'Delete') {
      await this.deps.sharing.remove(iri);
      return;
    }
    if (body.type !== 'Create' && body.type !== 'Update') throw new InboxRefusal(422, 'bad_activity');
    try {
      await this.deps.sharing.receive({ iri, host: partner.id }, object.review);
    } catch (error) {
      if (error instanceof AppError && error.code === 'validation_failed') throw new InboxRefusal(422, 'bad_review');
      // No network board of that name here: this instance does not share that board.
      throw new InboxRefusal(404, 'board_not_shared');
    }
  }

  // ---- authorized fetch ------------------------------------------------------------

  /** GET /ap/r/:id: a network review, only for a GET signed with a partner's pinned key. */
  serve(): RequestHandler {
    return (req, res, next) => {
      this.authorizedFetch(req)
        .then(async (status) => {
          if (status !== 200) {
            res.status(status).json({ error: status === 401 ? 'signature_required' : 'not_partner' });
            return;
          }
          const hex = String(req.params.id ?? '');
          const reviewId = idOfApId(hex);
          const shared = reviewId ? await this.deps.sharing.shared(reviewId) : null;
          if (!reviewId || !shared) {
            res.status(404).json({ error: 'not_found' });
            return;
          }
          const me = await this.deps.actors.instanceActor();
          res
            .status(200)
            .type('application/activity+json; charset=utf-8')
            .send(JSON.stringify({ '@context': [AS, NETWORK_CONTEXT], id: this.reviewIri(reviewId), type: REVIEW_TYPE, attributedTo: me.id, review: shared }));
        })
        .catch(next);
    };
  }

  /** 200 for a GET signed (over request-target, host and date, within the window) with a partner's pinned key; else 401 or 403. */
  private async authorizedFetch(req: Request): Promise<200 | 401 | 403> {
    const params = parseSignatureHeader(signatureHeaderOf(req.headers));
    if (!params) return 401;
    for (const h of ['(request-target)', 'host', 'date']) if (!params.headers.includes(h)) return 401;
    const date = Date.parse(String(req.headers.date ?? ''));
    if (!Number.isFinite(date) || Math.abs(Date.now() - date) > DATE_WINDOW_MS) return 401;
    const partner = this.list().find((p) => p.keyId === params.keyId);
    if (!partner) return 403;
    const data = signingString(params.headers, req.method, req.originalUrl, req.headers);
    return data !== null && verifySignature(params, data, partner.publicKeyPem) ? 200 : 401;
  }
}

export function networkApi(api: ApiRouter, network: RegionalNetwork): void {
  const tag = 'federation';
  api.route({
    method: 'get', path: '/federation/partners', tag, access: 'admin', summary: 'The partner instances of this regional network',
    handler: async () => {
      await network.fresh();
      return { partners: network.list().map(({ id, actorIri, addedAt }) => ({ domain: id, actor: actorIri, addedAt })) };
    },
  });
  api.route({
    method: 'post', path: '/federation/partners', tag, access: 'admin', body: partnerInput, status: 201,
    summary: 'Add a partner instance by domain: its instance actor’s key is fetched and pinned; network boards are shared with it',
    handler: async ({ body }) => {
      const p = await network.add(body);
      return { partner: { domain: p.id, actor: p.actorIri, addedAt: p.addedAt } };
    },
  });
  api.route({
    method: 'delete', path: '/federation/partners/:domain', tag, access: 'admin', summary: 'Remove a partner instance',
    handler: async ({ req }) => {
      await network.remove(String(req.params.domain));
    },
  });
}
