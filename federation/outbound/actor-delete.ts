import type { Logger } from '../../server/logger.js';
import { eachPage } from '../../server/store/paging.js';
import type { Store, TxScope } from '../../server/store/port.js';
import type { Actors } from '../actors/actors.js';
import { deliveryInbox } from '../apex.js';
import type { PortApexStore } from '../apex-store.js';
import type { Apex, ApexActivity, ApexActor } from '../apex-types.js';
import { hostOf, ids, PUBLIC } from '../as.js';
import { apDepartedKeysCollection, apMembersCollection, apRemotePostsCollection, apSentLikesCollection, apSentPostsCollection } from '../federation.collections.js';
import type { Iris } from '../iris.js';

export interface ActorDeparturesDeps {
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly store: Store;
  readonly logger: Logger;
  /** How long deliveries are retried: the deleted Person's key is kept as long, to sign them, and no longer. */
  readonly keepKeyMs: number;
}

/**
 * A member who had a Person (they chose to federate, or wrote on another server's board) deletes their account:
 * their Person sends `Delete` of itself, as Mastodon and Lemmy send and expect an account's deletion, to every server
 * that knows it (knownAt). The Delete is signed by the Person itself, so its key outlives the account only while the
 * deliveries are retried (ap_departed_keys, dropped by the store when they end); the account's own deletion then
 * takes the Person's document, so WebFinger and its IRI answer 404 like for a handle nobody has.
 */
export class ActorDepartures {
  constructor(private readonly deps: ActorDeparturesDeps) {}

  /**
   * Sends the Delete of the account's Person, if it has one (before the account's deletion, which takes the Person).
   * A failure is logged and does not stop the deletion: the member's wish to leave comes first.
   */
  async departing(accountId: string): Promise<void> {
    await this.sendDelete(accountId).catch((error: unknown) => this.deps.logger.error({ err: error }, 'the deleted member’s Person could not send its Delete'));
  }

  private async sendDelete(accountId: string): Promise<void> {
    const { apex, apexStore, store, logger, keepKeyMs } = this.deps;
    const prefs = await store.collection(apMembersCollection).get(accountId);
    if (!prefs?.actorIri) return;
    const person = (await apexStore.getObject(prefs.actorIri, true)) as ApexActor | null;
    const privateKeyPem = person?._meta?.privateKey;
    if (!person || typeof privateKeyPem !== 'string') return;
    // apex reads the sender's block list when it addresses (Parasol keeps none).
    person._local = { blockList: [] };
    const fields = { id: `${person.id}#delete`, type: 'Delete', actor: person.id, object: person.id, to: [PUBLIC], cc: [person.followers[0]!], published: new Date().toISOString() };
    const activity = (await apex.fromJSONLD({ '@context': apex.context, ...fields })) as ApexActivity;
    activity._meta = { collection: [person.outbox[0]!] };
    const addresses = await this.knownAt(person, activity);
    // The key that signs the Delete (and the Deletes of the member's posts, sent as their threads change) is kept,
    // with the Delete queued, in one transaction: no Delete is ever queued that nothing could sign.
    const keep = (tx: TxScope) => tx.collection(apDepartedKeysCollection).upsert({ id: person.id, privateKeyPem, expiresAt: Date.now() + keepKeyMs });
    await apexStore.publish(activity, { actorId: person.id, body: JSON.stringify({ '@context': apex.context, ...fields }), addresses }, keep);
    logger.info({ servers: new Set(addresses.map(hostOf)).size }, 'deleted member’s Person sent its Delete');
  }

  /** Inside the account's deletion: the Person's document and likes go, and no cached key of it stays in memory. */
  async departed(tx: TxScope, actorIri: string): Promise<void> {
    await tx.collection(apSentLikesCollection).deleteWhere({ actorIri });
    this.deps.actors.forget(actorIri);
  }

  /**
   * The inboxes of every server that knows the Person: its followers, every remote actor its activities were sent to
   * (the remote boards it wrote on or liked a post of, the authors it liked), the remote boards it wrote on as
   * mirrored here, and the followers of our boards its posts were sent to. Remote actors are taken as they are
   * stored here: nothing is fetched to find them.
   */
  private async knownAt(person: ApexActor, activity: ApexActivity): Promise<string[]> {
    const { apex, apexStore, actors, iris, store } = this.deps;
    const remote = new Set<string>();
    const boards = new Set<string>();
    for (const sent of await apexStore.getStream(person.outbox[0]!, null)) {
      for (const iri of [sent.to, sent.cc, sent.audience].flatMap(ids)) remote.add(iri);
    }
    await eachPage(
      (after) => store.collection(apRemotePostsCollection).find({ where: { attributedTo: person.id }, limit: 500, after }),
      (post) => {
        remote.add(post.groupIri);
      },
    );
    await eachPage(
      (after) => store.collection(apSentPostsCollection).find({ where: { authorIri: person.id }, orderBy: { field: 'updatedAt' }, limit: 500, after }),
      (post) => {
        boards.add(post.groupIri);
      },
    );
    const addresses = new Set(await apex.address(activity, person, [person.followers[0]!]));
    for (const iri of remote) {
      const known = iris.isLocal(iri) ? null : await apexStore.getObject(iri);
      const inbox = known ? deliveryInbox(known) : undefined;
      if (inbox) addresses.add(inbox);
    }
    for (const board of boards) {
      const group = await actors.resolveIri(board);
      if (group) for (const inbox of await apex.address(activity, group, [group.followers[0]!])) addresses.add(inbox);
    }
    return [...addresses].filter((inbox) => !iris.isLocal(inbox));
  }
}
