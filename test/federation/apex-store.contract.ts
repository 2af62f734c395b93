/**
 * The IApexStore contract as activitypub-express relies on it, and the
 * delivery queue behind it, run against every storage adapter (see
 * apex-store.test.ts). Each test gets a fresh store.
 */
import assert from 'node:assert/strict';
import type { Store } from '../../server/store/port.js';
import { apexCollections, apDeliveriesCollection } from '../../federation/apex.collections.js';
import { INVALID_PAGE, PortApexStore } from '../../federation/apex-store.js';
import { DeliveryQueue, retryDelay } from '../../federation/outbound/delivery-queue.js';
import type { ApexActivity, ApexObject } from '../../federation/apex-types.js';

const HOUR = 3_600_000;
const base = 'https://a.example';
const inbox = `${base}/ap/b/general/inbox`;
const outbox = `${base}/ap/b/general/outbox`;
const followers = `${base}/ap/b/general/followers`;

const actor = (name: string, local = false): ApexObject => ({
  id: `https://r.example/users/${name}`,
  type: 'Person',
  preferredUsername: [name],
  inbox: [`https://r.example/users/${name}/inbox`],
  ...(local ? { _meta: { privateKey: `PRIVATE-${name}` } } : {}),
});

const activity = (n: number, from: string, collections: string[], extra: Record<string, unknown> = {}): ApexActivity => ({
  id: `https://r.example/activities/${n}`,
  type: 'Follow',
  actor: [from],
  object: [`${base}/ap/b/general`],
  to: [`${base}/ap/b/general`],
  _meta: { collection: collections },
  ...extra,
});

export function runApexStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`apex store on the ${name} adapter`, () => {
    let store: Store;
    let apexStore: PortApexStore;
    let queue: DeliveryQueue;
    let now: number;

    beforeEach(async () => {
      store = await open();
      await store.declare(apexCollections);
      now = Date.UTC(2030, 0, 1);
      queue = new DeliveryQueue(store, { deliveryMaxAgeMs: 48 * HOUR, retryBaseMs: 30_000, now: () => now });
      apexStore = new PortApexStore(store, queue, () => now);
      await apexStore.setup();
    });
    afterEach(async () => store.close());

    describe('objects', () => {
      it('saves once, hides _meta unless asked for it strictly, and hands out copies', async () => {
        const alice = actor('alice', true);
        assert.equal(await apexStore.saveObject(alice), true);
        assert.equal(await apexStore.saveObject(alice), false, 'a duplicate id is refused, not overwritten');
        const plain = await apexStore.getObject(alice.id);
        assert.equal(plain?._meta, undefined);
        assert.equal((await apexStore.getObject(alice.id, 'yes' as unknown as boolean))?._meta, undefined, 'only true reveals the private key');
        const full = await apexStore.getObject(alice.id, true);
        assert.equal(full?._meta?.privateKey, 'PRIVATE-alice');
        (full!.preferredUsername as string[]).push('mutated');
        assert.deepEqual((await apexStore.getObject(alice.id))?.preferredUsername, ['alice'], 'mutating a result changes nothing stored');
        assert.equal(await apexStore.getObject('https://r.example/nobody'), null);
      });

      it('updates partially ($set, null unsets) and fully, keeping a local actor’s private key', async () => {
        const alice = actor('alice', true);
        await apexStore.saveObject(alice);
        const partial = await apexStore.updateObject({ id: alice.id, type: 'Person', name: ['Alice'], inbox: null as unknown as string[] }, alice.id, false);
        assert.deepEqual(partial?.name, ['Alice']);
        assert.equal(partial?.inbox, undefined);
        assert.equal(partial?._meta, undefined, 'the partial update answers without meta');
        assert.equal(await apexStore.updateObject({ id: 'https://r.example/none', type: 'Note' }, null, false), null);
        const replacement = { id: alice.id, type: 'Person', preferredUsername: ['alice2'] };
        assert.deepEqual(await apexStore.updateObject(replacement, null, true), replacement);
        const stored = await apexStore.getObject(alice.id, true);
        assert.deepEqual(stored?.preferredUsername, ['alice2']);
        assert.equal(stored?._meta?.privateKey, 'PRIVATE-alice', 'a refetched copy never wipes our key');
        assert.equal(await apexStore.updateObject(stored!, null, true), undefined, 'an unchanged full replace reports nothing modified');
        assert.equal(await apexStore.updateObject({ id: 'https://r.example/none', type: 'Note' }, null, true), undefined);
      });

      it('refreshes the copies embedded in activities when an object changes', async () => {
        const bob = actor('bob');
        await apexStore.saveObject(bob);
        const note = { id: 'https://r.example/notes/1', type: 'Note', content: ['first'] };
        await apexStore.saveObject(note);
        await apexStore.saveActivity({ id: 'https://r.example/activities/c1', type: 'Create', actor: [bob.id], object: [note], _meta: { collection: [inbox] } });
        await apexStore.updateObject({ ...note, content: ['second'] }, bob.id, true);
        const create = await apexStore.getActivity('https://r.example/activities/c1');
        assert.deepEqual((create?.object?.[0] as ApexObject).content, ['second']);
      });

      it('counts local Person actors as users', async () => {
        await apexStore.saveObject(actor('alice', true));
        await apexStore.saveObject(actor('bob'));
        await apexStore.saveObject({ ...actor('group', true), type: 'Group' });
        assert.equal(await apexStore.getUserCount(), 1);
      });
    });

    describe('activities and streams', () => {
      it('saves an activity once and puts it in every collection of its _meta', async () => {
        const a = activity(1, actor('bob').id, [inbox, followers]);
        assert.equal(await apexStore.saveActivity(a), true);
        assert.ok(!(await apexStore.saveActivity(a)), 'a known activity is not saved again (apex then adds the collection)');
        assert.equal(await apexStore.getStreamCount(inbox), 1);
        assert.equal(await apexStore.getStreamCount(followers), 1);
        assert.equal((await apexStore.getActivity(a.id))?._meta, undefined);
        assert.deepEqual((await apexStore.getActivity(a.id, true))?._meta?.collection, [inbox, followers]);
        assert.equal(await apexStore.getActivity('https://r.example/activities/none'), null);
      });

      it('reads a stream newest first, with _id page cursors, actors resolved and unknown actors dropped', async () => {
        const bob = actor('bob');
        const carol = actor('carol', true);
        await apexStore.saveObject(bob);
        await apexStore.saveObject(carol);
        for (let n = 1; n <= 5; n++) await apexStore.saveActivity(activity(n, n === 3 ? 'https://r.example/users/ghost' : n % 2 ? bob.id : carol.id, [inbox]));
        const firstPage = await apexStore.getStream(inbox, 2);
        assert.deepEqual(firstPage.map((a) => a.id), ['https://r.example/activities/5', 'https://r.example/activities/4']);
        assert.equal(typeof firstPage[0]!._id, 'string');
        assert.deepEqual((firstPage[0]!.actor as ApexObject[])[0]!.id, bob.id, 'actor IRIs become the stored actors');
        assert.equal((firstPage[1]!.actor as ApexObject[])[0]!._meta, undefined, 'resolved actors carry no private key');
        assert.equal(firstPage[0]!._meta, undefined);
        const next = await apexStore.getStream(inbox, 2, firstPage[1]!._id as string);
        assert.deepEqual(next.map((a) => a.id), ['https://r.example/activities/2'], 'the ghost’s activity is dropped after the limit applies');
        const all = await apexStore.getStream(inbox, null);
        assert.deepEqual(all.map((a) => a.id), ['https://r.example/activities/5', 'https://r.example/activities/4', 'https://r.example/activities/2', 'https://r.example/activities/1']);
        const unblocked = await apexStore.getStream(inbox, null, null, [bob.id]);
        assert.deepEqual(unblocked.map((a) => a.id), ['https://r.example/activities/4', 'https://r.example/activities/2']);
        await assert.rejects(apexStore.getStream(inbox, 2, 'not-a-cursor'), (e: Error) => e.message === INVALID_PAGE);
      });

      it('strips _meta from embedded objects in streams', async () => {
        const bob = actor('bob');
        await apexStore.saveObject(bob);
        await apexStore.saveActivity({ id: 'https://r.example/activities/x', type: 'Announce', actor: [bob.id], object: [{ id: 'https://r.example/activities/y', type: 'Create', _meta: { collection: ['x'] } }], _meta: { collection: [outbox] } });
        const [item] = await apexStore.getStream(outbox, 10);
        assert.equal((item!.object as ApexObject[])[0]!._meta, undefined);
      });

      it('adds and removes collections with updateActivityMeta, and throws for an unknown activity', async () => {
        const bob = actor('bob');
        await apexStore.saveObject(bob);
        const a = activity(1, bob.id, [inbox]);
        await apexStore.saveActivity(a);
        const added = await apexStore.updateActivityMeta(a, 'collection', followers);
        assert.deepEqual(added._meta?.collection, [inbox, followers]);
        const again = await apexStore.updateActivityMeta(a, 'collection', followers);
        assert.deepEqual(again._meta?.collection, [inbox, followers], 'added once ($addToSet)');
        assert.equal(await apexStore.getStreamCount(followers), 1);
        assert.equal((await apexStore.findActivityByCollectionAndActorId(followers, bob.id))?.id, a.id);
        assert.equal((await apexStore.findActivityByCollectionAndObjectId(followers, `${base}/ap/b/general`))?.id, a.id);
        const removed = await apexStore.updateActivityMeta(a, 'collection', followers, true);
        assert.deepEqual(removed._meta?.collection, [inbox]);
        assert.equal(await apexStore.getStreamCount(followers), 0);
        assert.equal(await apexStore.findActivityByCollectionAndActorId(followers, bob.id), null);
        await assert.rejects(apexStore.updateActivityMeta({ id: 'https://r.example/none' }, 'collection', inbox), /Error updating activity meta: not found/);
      });

      it('removes an activity only for its own actor, from every stream', async () => {
        const a = activity(1, actor('bob').id, [inbox, followers]);
        await apexStore.saveActivity(a);
        await apexStore.removeActivity(a, actor('mallory').id);
        assert.ok(await apexStore.getActivity(a.id), 'another actor cannot remove bob’s activity');
        await apexStore.removeActivity(a, actor('bob').id);
        assert.equal(await apexStore.getActivity(a.id), null);
        assert.equal(await apexStore.getStreamCount(inbox), 0);
        assert.equal(await apexStore.getStreamCount(followers), 0);
      });

      it('updates an activity partially or fully; a full replace without _meta keeps its collections', async () => {
        const a = activity(1, actor('bob').id, [inbox]);
        await apexStore.saveActivity(a);
        const partial = await apexStore.updateActivity({ id: a.id, type: 'Follow', summary: ['hi'], to: null as unknown as string[] }, false);
        assert.deepEqual(partial.summary, ['hi']);
        assert.equal(partial.to, undefined);
        const { _meta, ...plain } = activity(1, actor('bob').id, [], { content: ['full'] });
        void _meta;
        await apexStore.updateActivity(plain as ApexObject, true);
        const stored = await apexStore.getActivity(a.id, true);
        assert.deepEqual(stored?.content, ['full']);
        assert.deepEqual(stored?._meta?.collection, [inbox]);
        assert.equal(await apexStore.getStreamCount(inbox), 1);
        const missing = { id: 'https://r.example/none', type: 'Note' };
        assert.deepEqual(await apexStore.updateActivity(missing, true), missing);
      });
    });

    describe('contexts and ids', () => {
      it('caches JSON-LD context documents', async () => {
        await apexStore.saveContext({ contextUrl: null, documentUrl: 'https://c.example/ctx', document: { '@context': { a: 'https://c.example/a' } } });
        assert.deepEqual(await apexStore.getContext('https://c.example/ctx'), { contextUrl: null, documentUrl: 'https://c.example/ctx', document: { '@context': { a: 'https://c.example/a' } } });
        assert.equal(await apexStore.getContext('https://c.example/none'), null);
      });

      it('generates unique lower-case ids (apex lower-cases the IRIs it builds)', () => {
        const ids = new Set(Array.from({ length: 200 }, () => apexStore.generateId()));
        assert.equal(ids.size, 200);
        for (const id of ids) assert.match(id, /^[0-9a-f]{24}$/);
      });
    });

    describe('delivery queue', () => {
      it('queues one delivery per address without copying the signing key, and hands them out in due order', async () => {
        const alice = actor('alice', true);
        await apexStore.saveObject(alice);
        assert.equal(await apexStore.deliveryEnqueue(alice.id, '{"a":1}', ['https://x.example/inbox', 'https://y.example/inbox', 'https://x.example/inbox'], 'PRIVATE-alice'), true);
        assert.equal(await apexStore.deliveryEnqueue(alice.id, '{}', []), undefined);
        const raw = await store.collection(apDeliveriesCollection).find({ orderBy: { field: 'nextAt' } });
        assert.equal(raw.items.length, 1, 'one row for the activity');
        assert.deepEqual(raw.items[0]!.targets.map((t) => t.address), ['https://x.example/inbox', 'https://y.example/inbox'], 'each inbox once');
        assert.equal(await queue.pendingDeliveries(), 2);
        assert.ok(raw.items.every((d) => !JSON.stringify(d).includes('PRIVATE')), 'keys are not copied into the queue');
        const [first] = await queue.claimDue(1, 60_000);
        assert.ok(first, 'the first delivery is due');
        assert.equal(await apexStore.signingKey(first.actorId), 'PRIVATE-alice', 'the key is read from the actor when the delivery is taken');
        assert.equal(first.attempt, 0);
        assert.ok(await queue.failDelivery(first, false), 'the delivery is requeued');
        const [second] = await queue.claimDue(1, 60_000);
        assert.ok(second && second.address !== first.address, 'the second delivery goes to the other address');
        await queue.completeDeliveries([second]);
        assert.deepEqual(await queue.claimDue(1, 60_000), [], 'only a future delivery is left');
        const due = await queue.nextDueAt();
        assert.ok(due !== null && due > now, 'the delivery left is due in the future');
        now = due;
        const [retried] = await queue.claimDue(1, 60_000);
        assert.ok(retried, 'the requeued delivery is due once its time comes');
        assert.equal(retried.address, first.address);
        assert.equal(retried.attempt, 1);
        await queue.completeDeliveries([retried]);
        assert.equal(await queue.nextDueAt(), null);
      });

      it('backs off exponentially and gives up after the maximum age', async () => {
        assert.equal(retryDelay(0, 30_000, () => 0.5), 30_000);
        assert.equal(retryDelay(3, 30_000, () => 0.5), 240_000);
        assert.equal(retryDelay(40, 30_000, () => 0.5), 6 * HOUR, 'capped at six hours');
        await apexStore.deliveryEnqueue(actor('alice').id, '{}', 'https://x.example/inbox');
        let attempts = 0;
        for (;;) {
          const [claimed] = await queue.claimDue(1, 60_000);
          if (!claimed) {
            const next = await queue.nextDueAt();
            if (next === null) break;
            now = next;
            continue;
          }
          attempts += 1;
          const retried = await queue.failDelivery(claimed, false);
          assert.ok(now - claimed.createdAt <= 48 * HOUR, 'no retry is made more than 48 hours after the delivery was queued');
          if (!retried) break;
        }
        assert.ok(attempts >= 10 && attempts <= 20, `retried ${attempts} times within 48 hours`);
        assert.equal(await queue.pendingDeliveries(), 0);
      });

      it('leases claimed deliveries, so an unfinished one becomes due again', async () => {
        await apexStore.deliveryEnqueue(actor('alice').id, '{}', ['https://x.example/inbox']);
        const [claimed] = await queue.claimDue(5, 60_000);
        assert.ok(claimed, 'the delivery is claimed');
        assert.deepEqual(await queue.claimDue(5, 60_000), [], 'held while leased');
        now += 60_001;
        const [again] = await queue.claimDue(5, 60_000);
        assert.equal(again?.id, claimed.id);
        await queue.completeDeliveries([claimed]);
        assert.equal(await queue.pendingDeliveries(), 0);
      });

      it('stores an activity once for all its addresses and deletes it with its last delivery', async () => {
        const rows = store.collection(apDeliveriesCollection);
        await apexStore.deliveryEnqueue(actor('alice').id, '{"type":"Announce"}', ['https://x.example/inbox', 'https://y.example/inbox', 'https://z.example/inbox']);
        assert.equal(await rows.count(), 1);
        const claimed = await queue.claimDue(5, 60_000);
        assert.deepEqual(claimed.map((d) => d.body), ['{"type":"Announce"}', '{"type":"Announce"}', '{"type":"Announce"}']);
        await queue.completeDeliveries(claimed.slice(0, 2));
        assert.equal(await rows.count(), 1, 'kept while a delivery still needs it');
        assert.equal(await queue.pendingDeliveries(), 1);
        assert.equal(await queue.failDelivery(claimed[2]!, true), false);
        assert.equal(await rows.count(), 0);
        assert.equal(await queue.pendingDeliveries(), 0);
      });

      it('schedules each inbox of an activity on its own: a retried one waits, the others go and are done', async () => {
        await apexStore.deliveryEnqueue(actor('alice').id, '{"type":"Announce"}', ['https://x.example/inbox', 'https://y.example/inbox', 'https://z.example/inbox']);
        now += 1;
        await apexStore.deliveryEnqueue(actor('alice').id, '{"type":"Like"}', ['https://w.example/inbox']);
        const first = await queue.claimDue(2, 60_000);
        assert.deepEqual(first.map((d) => d.address), ['https://x.example/inbox', 'https://y.example/inbox'], 'at most the limit, in order');
        const x = first[0]!;
        assert.equal(await queue.failDelivery(x, false), true);
        await queue.completeDeliveries([first[1]!]);
        const rest = await queue.claimDue(5, 60_000);
        assert.deepEqual(rest.map((d) => d.address).sort(), ['https://w.example/inbox', 'https://z.example/inbox'], 'the retried inbox is not due yet');
        await queue.completeDeliveries(rest);
        assert.equal(await queue.pendingDeliveries(), 1);
        now = (await queue.nextDueAt())!;
        const [again] = await queue.claimDue(5, 60_000);
        assert.equal(again?.address, 'https://x.example/inbox');
        assert.equal(again?.attempt, 1);
        assert.equal(again?.body, '{"type":"Announce"}');
        await queue.completeDeliveries([again!]);
        assert.equal(await store.collection(apDeliveriesCollection).count(), 0);
      });

      it('completes a delivery only once, even when handed over twice', async () => {
        await apexStore.deliveryEnqueue(actor('alice').id, '{}', ['https://x.example/inbox', 'https://y.example/inbox']);
        const claimed = await queue.claimDue(5, 60_000);
        await queue.completeDeliveries([claimed[0]!, claimed[0]!]);
        await queue.completeDeliveries([claimed[0]!]);
        assert.equal(await queue.pendingDeliveries(), 1);
        assert.equal(await queue.failDelivery(claimed[0]!, false), false, 'a delivery already done is not retried');
        assert.equal(await queue.pendingDeliveries(), 1);
      });

      it('publishes an activity, its deliveries and the caller’s record in one transaction', async () => {
        const alice = actor('alice', true);
        const activity = { id: 'https://local.example/s/announce-1', type: ['Announce'], actor: [alice.id], _meta: { collection: [`${alice.id}/outbox`] } } as unknown as ApexObject;
        const delivery = { actorId: alice.id, body: '{"type":"Announce"}', addresses: ['https://x.example/inbox', 'https://y.example/inbox'] };
        await assert.rejects(
          apexStore.publish(activity, delivery, async () => {
            throw new Error('the record could not be written');
          }),
          /could not be written/,
        );
        assert.equal(await apexStore.getActivity(activity.id), null, 'nothing stored');
        assert.equal(await queue.pendingDeliveries(), 0, 'nothing queued');
        let recorded = 0;
        await apexStore.publish(activity, delivery, async () => {
          recorded += 1;
        });
        assert.equal(recorded, 1);
        assert.equal((await apexStore.getActivity(activity.id))?.id, activity.id);
        assert.equal(await queue.pendingDeliveries(), 2);
      });

      it('keeps a Follow, lists or drops its follower, and stores and queues the answer', async () => {
        const bob = actor('bob');
        await apexStore.saveObject(bob);
        await apexStore.saveObject({ id: `${base}/ap/b/general`, type: 'Group', inbox: [inbox] });
        const to = { followers, accepted: true };
        const answer = (n: number, type: string) =>
          ({ id: `${base}/s/answer-${n}`, type, actor: [`${base}/ap/b/general`], to: [bob.id], _meta: { collection: [outbox] } }) as unknown as ApexObject;
        const delivery = { actorId: `${base}/ap/b/general`, body: '{"type":"Accept"}', addresses: [`https://r.example/users/bob/inbox`] };
        const first = activity(1, bob.id, []);
        await apexStore.answerFollow(first, to, answer(1, 'Accept'), delivery);
        assert.deepEqual((await apexStore.getActivity(first.id, true))?._meta?.collection, [followers]);
        assert.equal(await apexStore.getStreamCount(followers), 1);
        assert.equal((await apexStore.getStream(outbox, 10))[0]?.id, `${base}/s/answer-1`, 'the answer is in the outbox');
        assert.equal(await queue.pendingDeliveries(), 1);

        // The same Follow again (its sender lost the Accept) is answered again and still counts once.
        await apexStore.answerFollow(first, to, answer(2, 'Accept'), delivery);
        assert.equal(await apexStore.getStreamCount(followers), 1);
        assert.equal(await queue.pendingDeliveries(), 2);
        // A new Follow by the same actor takes the earlier one's place.
        const second = activity(2, bob.id, []);
        await apexStore.answerFollow(second, to, answer(3, 'Accept'), delivery);
        assert.equal(await apexStore.getStreamCount(followers), 1);
        assert.equal((await apexStore.findActivityByCollectionAndActorId(followers, bob.id))?.id, second.id);
        assert.deepEqual((await apexStore.getActivity(first.id, true))?._meta?.collection, []);
        // A refusal (the board was archived) takes the follower out; the Follow is kept, in no collection.
        const third = activity(3, bob.id, []);
        await apexStore.answerFollow(third, { ...to, accepted: false }, answer(4, 'Reject'), delivery);
        assert.equal(await apexStore.getStreamCount(followers), 0);
        assert.deepEqual((await apexStore.getActivity(third.id, true))?._meta?.collection, []);
        assert.equal(await apexStore.getStreamCount(inbox), 0, 'nothing is listed in the inbox collection');
        assert.equal(await queue.pendingDeliveries(), 4);
      });

      it('drops a delivery at once on a permanent failure', async () => {
        await apexStore.deliveryEnqueue(actor('alice').id, '{}', ['https://x.example/inbox']);
        const [claimed] = await queue.claimDue(1, 60_000);
        assert.equal(await queue.failDelivery(claimed!, true), false);
        assert.equal(await queue.pendingDeliveries(), 0);
      });
    });
  });
}
