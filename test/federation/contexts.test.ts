import assert from 'node:assert/strict';
import type { PortApexStore } from '../../federation/apex-store.js';
import type { Apex } from '../../federation/apex-types.js';
import { bundledContext, bundledContexts, createContextLoader, seedContextCache } from '../../federation/contexts.js';
import type { Store } from '../../server/store/port.js';
import { openTestApex } from './apex-harness.js';

const AS = 'https://www.w3.org/ns/activitystreams';

describe('bundled JSON-LD contexts', () => {
  let store: Store;
  let apexStore: PortApexStore;
  let apex: Apex;
  const unknown: string[] = [];

  before(async () => {
    ({ store, apexStore, apex } = await openTestApex('https://parasol.example'));
    apex.jsonldContextLoader = createContextLoader({ store: apexStore, onUnknown: (url) => unknown.push(url) });
  });
  after(async () => store.close());

  it('ships ActivityStreams, security v1/v2, data integrity, multikey, Ed25519, DID, LitePub, Lemmy, GoToSocial and WebFinger contexts', () => {
    const urls = [...bundledContexts().keys()];
    for (const url of [
      AS,
      'https://w3id.org/security/v1',
      'https://w3id.org/security/v2',
      'https://w3id.org/security/data-integrity/v1',
      'https://w3id.org/security/data-integrity/v2',
      'https://w3id.org/security/multikey/v1',
      'https://w3id.org/security/suites/ed25519-2020/v1',
      'https://www.w3.org/ns/did/v1',
      'https://join-lemmy.org/context.json',
      'https://gotosocial.org/ns',
      'https://purl.archive.org/socialweb/webfinger',
    ]) {
      assert.ok(urls.includes(url), url);
    }
    for (const [url, doc] of bundledContexts()) assert.ok(doc && typeof doc === 'object' && '@context' in doc, url);
    assert.ok(bundledContext('https://pleroma.example/schemas/litepub-0.1.jsonld'), 'any server’s LitePub URL');
    assert.equal(bundledContext('https://nowhere.example/ctx.jsonld'), null);
  });

  it('seeds apex’s context cache at start', async () => {
    await seedContextCache(apexStore);
    const cached = await apexStore.getContext('https://w3id.org/security/multikey/v1');
    assert.ok(cached && typeof cached.document === 'object', 'the multikey context is cached as a document');
  });

  it('reads activities from Mastodon, Fedify, Pleroma, Lemmy and GoToSocial without fetching a context', async () => {
    const bodies = [
      // Mastodon: inline extension terms.
      { '@context': [AS, 'https://w3id.org/security/v1', { toot: 'http://joinmastodon.org/ns#', discoverable: 'toot:discoverable' }], id: 'https://m.example/users/a', type: 'Person', preferredUsername: 'a', discoverable: true, inbox: 'https://m.example/users/a/inbox', publicKey: { id: 'https://m.example/users/a#main-key', owner: 'https://m.example/users/a', publicKeyPem: 'PEM' } },
      // Fedify: data integrity and multikey contexts.
      { '@context': [AS, 'https://w3id.org/security/data-integrity/v1', 'https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'], id: 'https://f.example/users/b', type: 'Person', inbox: 'https://f.example/users/b/inbox', assertionMethod: [{ id: 'https://f.example/users/b#key-1', type: 'Multikey', controller: 'https://f.example/users/b', publicKeyMultibase: 'z6Mk' }] },
      // Pleroma: the LitePub context at the server's own URL.
      { '@context': [AS, 'https://p.example/schemas/litepub-0.1.jsonld', { '@language': 'und' }], id: 'https://p.example/activities/1', type: 'Follow', actor: 'https://p.example/users/c', object: 'https://parasol.example/ap/b/general' },
      // Lemmy.
      { '@context': ['https://join-lemmy.org/context.json', AS], id: 'https://l.example/activities/follow/1', type: 'Follow', actor: 'https://l.example/u/d', object: 'https://parasol.example/ap/b/general' },
      // GoToSocial.
      { '@context': ['https://gotosocial.org/ns', AS, 'https://w3id.org/security/v1'], id: 'https://g.example/users/e', type: 'Person', inbox: 'https://g.example/users/e/inbox' },
    ];
    for (const body of bodies) {
      const read = await apex.fromJSONLD(structuredClone(body));
      assert.equal(read.id, body.id);
      assert.equal(read.type, body.type);
    }
    const mastodon = await apex.fromJSONLD(structuredClone(bodies[0]));
    assert.deepEqual((mastodon.publicKey as { publicKeyPem: string[] }[])[0]!.publicKeyPem, ['PEM']);
    assert.deepEqual(unknown, [], 'every context was bundled');
  });

  it('processes a bundled context once, not again for every activity it reads', async () => {
    const loader = apex.jsonldContextLoader;
    const asked: string[] = [];
    apex.jsonldContextLoader = (url: string) => {
      asked.push(url);
      return loader(url);
    };
    try {
      const follow = (n: number) => ({ '@context': [AS, 'https://w3id.org/security/v1'], id: `https://m.example/follows/${n}`, type: 'Follow', actor: 'https://m.example/users/a', object: 'https://parasol.example/ap/b/general' });
      await apex.fromJSONLD(follow(1));
      asked.length = 0;
      for (const n of [2, 3, 4]) assert.equal((await apex.fromJSONLD(follow(n))).id, `https://m.example/follows/${n}`);
      assert.deepEqual(asked, [], 'no context was loaded (or processed) again');
    } finally {
      apex.jsonldContextLoader = loader;
    }
  });

  it('reads an unknown context as empty and says so once, instead of fetching it', async () => {
    const body = { '@context': [AS, 'https://odd.example/ns.jsonld'], id: 'https://odd.example/activities/1', type: 'Follow', actor: 'https://odd.example/u/f', object: 'https://parasol.example/ap/b/general', oddTerm: 'x' };
    const read = await apex.fromJSONLD(structuredClone(body));
    assert.equal(read.type, 'Follow');
    // ActivityStreams' @vocab keeps the term as a plain, meaningless key: nothing from the unknown document defines it.
    assert.deepEqual(read.oddTerm, ['x']);
    await apex.fromJSONLD(structuredClone(body));
    assert.deepEqual(unknown, ['https://odd.example/ns.jsonld']);
  });
});
