import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Accept,
  Announce,
  Create,
  createFederation,
  Delete,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  Group,
  isActor,
  lookupWebFinger,
  MemoryKvStore,
  Page,
  Person,
  PUBLIC_COLLECTION,
  Tombstone,
  Update,
  verifyObject,
  verifyRequest,
  type Activity,
  type Actor,
  type CryptographicKey,
  type Federation,
} from '@fedify/fedify';
import { eventually, startPeer, type Peer } from './instances.js';

/**
 * Interoperability with an independent implementation: Fedify
 * (@fedify/fedify, https://fedify.dev), a spec-strict ActivityPub server
 * framework that shares no code with Parasol or activitypub-express. It runs
 * in the test process as a small server with one Person; everything on its
 * side — WebFinger and actor lookup, JSON-LD parsing into its vocabulary
 * classes, signing the Follow it sends (HTTP Signatures, plus its own Linked
 * Data Signature and FEP-8b32 proof), and verifying every activity its inbox
 * takes — is Fedify's own code. Parasol runs as a separate process, as in the
 * other federation tests.
 *
 * Fedify 1.5 is the last line whose package declares Node 20 support (1.6
 * and later declare node >=22); pinned to 1.5.9, its latest maintenance release.
 */

const NAME = 'fedi';

interface Delivery {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly raw: string;
  readonly status: number;
  readonly answer: string;
  readonly json: unknown;
  /** The key that signed the request, by Fedify's own HTTP Signature verification (null: none verified). */
  readonly signedBy: CryptographicKey | null;
}

interface Taken {
  readonly activity: Activity;
}

/** One Fedify server on a loopback port. */
class FedifyServer {
  readonly deliveries: Delivery[] = [];
  /** Activities Fedify's inbox accepted (it calls listeners only for verified activities), in order. */
  readonly taken: Taken[] = [];
  readonly errors: unknown[] = [];
  federation!: Federation<void>;
  url = '';
  private server: http.Server | null = null;
  private keys: CryptoKeyPair[] = [];

  async start(): Promise<void> {
    this.keys = [await generateCryptoKeyPair('RSASSA-PKCS1-v1_5'), await generateCryptoKeyPair('Ed25519')];
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.errors.push(error);
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    this.federation = createFederation<void>({
      kv: new MemoryKvStore(),
      origin: this.url,
      // Test-only: Parasol's peers here live on http://127.0.0.1, which Fedify
      // refuses to fetch by default (its SSRF guard rejects loopback and
      // private addresses). This turns that guard off, and nothing else: the
      // document loader is still Fedify's own, with its preloaded JSON-LD
      // contexts, and every signature is still checked (set explicitly below).
      allowPrivateAddress: true,
      skipSignatureVerification: false,
      // No queue is set, so sendActivity delivers at once and throws if the
      // delivery fails: a Follow Parasol refuses fails the test there.
    });
    const keyPairs = this.keys;
    this.federation
      .setActorDispatcher('/users/{identifier}', async (ctx, identifier) => {
        if (identifier !== NAME) return null;
        const pairs = await ctx.getActorKeyPairs(identifier);
        return new Person({
          id: ctx.getActorUri(identifier),
          preferredUsername: identifier,
          name: 'Fedify test follower',
          inbox: ctx.getInboxUri(identifier),
          endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
          publicKey: pairs[0]?.cryptographicKey ?? null,
          assertionMethods: pairs.map((p) => p.multikey),
        });
      })
      .setKeyPairsDispatcher((_ctx, identifier) => (identifier === NAME ? keyPairs : []));
    const take = (_ctx: unknown, activity: Activity) => {
      this.taken.push({ activity });
    };
    this.federation
      .setInboxListeners('/users/{identifier}/inbox', '/inbox')
      .on(Accept, take)
      .on(Announce, take)
      .onError((_ctx, error) => {
        this.errors.push(error);
      });
  }

  /** A plain Node adapter: the request as a WHATWG Request to `federation.fetch`, and its Response back. */
  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    const method = req.method ?? 'GET';
    const request = new Request(new URL(req.url ?? '/', this.url), { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body }) });
    let signedBy: CryptographicKey | null = null;
    if (method === 'POST') {
      // Which key signed it, by Fedify's verifier; its inbox checks the same again on its own.
      signedBy = await verifyRequest(request.clone(), { documentLoader: this.context().documentLoader, contextLoader: this.context().contextLoader });
    }
    const response = await this.federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response('not found', { status: 404 }),
      onNotAcceptable: () => new Response('not acceptable', { status: 406 }),
    });
    const answer = Buffer.from(await response.arrayBuffer());
    if (method === 'POST') {
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = null;
      }
      const sent: Record<string, string> = {};
      headers.forEach((value, name) => {
        if (!['host', 'content-length', 'connection', 'transfer-encoding'].includes(name)) sent[name] = value;
      });
      this.deliveries.push({ path: req.url ?? '/', headers: sent, raw: body.toString('utf8'), status: response.status, answer: answer.toString('utf8'), json, signedBy });
    }
    const answerHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      answerHeaders[name] = value;
    });
    res.writeHead(response.status, answerHeaders);
    res.end(answer);
  }

  context() {
    return this.federation.createContext(new URL(this.url), undefined);
  }

  actorIri(): string {
    return this.context().getActorUri(NAME).href;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  /** What reached the inbox and Fedify did not accept: any of it is an interoperability failure. */
  refused(): Delivery[] {
    return this.deliveries.filter((d) => d.status >= 300);
  }
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

describe('an independent ActivityPub implementation (Fedify) follows a public board and receives its posts', function () {
  this.timeout(180_000);
  let peer: Peer;
  const fedify = new FedifyServer();
  const group = () => `${peer.url}/ap/b/general`;
  let groupActor: Actor;

  /** The Announces of the board's Group that Fedify's inbox accepted, with the activity they carry. */
  const announced = () =>
    fedify.taken
      .filter((t): t is Taken & { activity: Announce } => t.activity instanceof Announce)
      .filter((t) => t.activity.actorId?.href === group());
  const carried = async <T extends Activity>(type: new (...args: never[]) => T): Promise<{ announce: Announce; inner: T }[]> => {
    const found: { announce: Announce; inner: T }[] = [];
    for (const t of announced()) {
      // Embedded in the Announce, so Fedify reads it from there (no fetch).
      const inner = await t.activity.getObject(fedify.context());
      if (inner instanceof type) found.push({ announce: t.activity, inner });
    }
    return found;
  };

  before(async () => {
    await fedify.start();
    peer = await startPeer('indep');
    assert.equal((await peer.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(peer?.output(), fedify.deliveries, fedify.errors);
    await peer?.dispose();
    await fedify.stop();
  });

  it('finds the board by WebFinger and reads its Group with Fedify', async () => {
    // Fedify's WebFinger client asks https://HOST/ for acct: handles, and a
    // loopback test peer serves http only; so the acct: query is made here,
    // and Fedify's own client does the reverse lookup by the actor's http IRI.
    const res = await fetch(`${peer.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:general@${peer.host}`)}`);
    assert.equal(res.status, 200);
    const jrd = (await res.json()) as { links: { rel: string; type?: string; href?: string }[] };
    const self = jrd.links.find((l) => l.rel === 'self' && l.type === 'application/activity+json');
    assert.equal(self?.href, group());
    const reverse = await lookupWebFinger(new URL(group()), { allowPrivateAddress: true });
    assert.equal(reverse?.subject, `acct:general@${peer.host}`);

    const found = await fedify.context().lookupObject(self.href);
    assert.ok(found instanceof Group, `Fedify read ${found?.constructor.name}`);
    assert.ok(isActor(found), 'Fedify reads the group as an actor');
    groupActor = found;
    assert.equal(groupActor.id?.href, group());
    assert.equal(groupActor.preferredUsername?.toString(), 'general');
    assert.ok(groupActor.inboxId, 'the Group has an inbox');
    const key = await groupActor.getPublicKey();
    assert.equal(key?.ownerId?.href, group());
  });

  it('sends a Follow signed by Fedify; Parasol lists it as a follower and Fedify verifies the Accept', async () => {
    const ctx = fedify.context();
    const followId = new URL(`${fedify.url}/follows/${Date.now()}`);
    await ctx.sendActivity({ identifier: NAME }, groupActor, new Follow({ id: followId, actor: ctx.getActorUri(NAME), object: groupActor.id }));

    await eventually(async () => {
      const list = await peer.admin.client.api('GET', '/federation/boards/general/followers');
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json.followers, [fedify.actorIri()]);
    }, 60_000, 200);

    const accept = await eventually(async () => {
      const found = fedify.taken.filter((t) => t.activity instanceof Accept);
      assert.equal(found.length, 1, `deliveries: ${JSON.stringify(fedify.deliveries.map((d) => [d.status, d.answer]))}`);
      return found[0]!.activity as Accept;
    }, 60_000, 200);
    assert.equal(accept.actorId?.href, group());
    assert.equal(accept.objectId?.href, followId.href);
    const delivery = fedify.deliveries.find((d) => (d.json as { type?: string } | null)?.type === 'Accept');
    assert.equal(delivery?.status, 202, delivery?.answer);
    assert.equal(delivery?.signedBy?.ownerId?.href, group(), 'the Accept is HTTP-signed with the Group’s key');
    assert.deepEqual(fedify.refused(), []);
    assert.deepEqual(fedify.errors, []);
  });

  let pageIri = '';
  let postId = '';

  it('a member’s new thread reaches Fedify as the Group’s Announce of the Create of a Page', async () => {
    const thread = await peer.member.client.api('POST', '/boards/general/threads', { title: 'Hello, Fedify', body: 'Read by **another** implementation' });
    assert.equal(thread.status, 201, thread.text);
    postId = thread.json.post.id as string;
    const { announce, inner } = await eventually(async () => {
      const found = await carried(Create);
      assert.equal(found.length, 1, `deliveries: ${JSON.stringify(fedify.deliveries.map((d) => [d.status, d.answer]))}`);
      return found[0]!;
    }, 60_000, 200);
    const delivery = fedify.deliveries.find((d) => (d.json as { id?: string } | null)?.id === announce.id?.href);
    assert.equal(delivery?.status, 202, delivery?.answer);
    assert.equal(delivery?.signedBy?.ownerId?.href, group(), 'the Announce is HTTP-signed with the Group’s key');

    const isPublic = (iris: URL[]) => iris.some((iri) => iri.href === PUBLIC_COLLECTION.href);
    assert.ok(isPublic(announce.toIds), 'the Announce is public');
    const person = `${peer.url}/ap/u/${peer.member.handle.toLowerCase()}`;
    assert.equal(inner.actorId?.href, person);
    assert.ok(isPublic(inner.toIds), 'the Create is public');
    const page = await inner.getObject(fedify.context());
    assert.ok(page instanceof Page, `Fedify read ${page?.constructor.name}`);
    assert.equal(text(page.name), 'Hello, Fedify');
    assert.match(text(page.content), /Read by <strong>another<\/strong> implementation/);
    assert.equal(page.attributionId?.href, person);
    assert.equal(page.mediaType, 'text/html');
    assert.ok(page.toIds.some((iri) => iri.href === group()), 'the page is addressed to the group');
    assert.ok(isPublic(page.toIds), 'the page is public');
    assert.ok(page.id, 'the page has an id');
    pageIri = page.id.href;
    // FEP-1b12: the board's Group is the audience; FEP-7888: the thread is the first post's IRI.
    assert.equal(page.audienceId?.href, group());
    assert.deepEqual(page.contextIds.map((iri) => iri.href), [pageIri]);
    // FEP-8b32: Fedify's own Data Integrity verifier checks the author's proof on the Create (eddsa-jcs-2022, the
    // Multikey read from the author's actor), and refuses it once a word of it is changed.
    const embedded = (delivery?.json as { object?: Record<string, unknown> } | null)?.object;
    assert.ok(embedded?.proof, 'the Create carries a proof');
    const loaders = { documentLoader: fedify.context().documentLoader, contextLoader: fedify.context().contextLoader };
    const verified = await verifyObject(Create, embedded, loaders);
    assert.ok(verified instanceof Create, 'Fedify verifies the proof');
    assert.equal(verified.actorId?.href, person);
    const object = embedded.object as Record<string, unknown>;
    const changed = { ...embedded, object: { ...object, content: `${String(object.content)}!` } };
    assert.equal(await verifyObject(Create, changed, loaders), null, 'a changed copy does not verify');
    assert.deepEqual(fedify.refused(), []);
  });

  it('an edit arrives as an Update of the Page', async () => {
    const edited = await peer.member.client.api('PATCH', `/posts/${postId}`, { body: 'Edited for Fedify' });
    assert.equal(edited.status, 200, edited.text);
    const { inner } = await eventually(async () => {
      const found = await carried(Update);
      assert.equal(found.length, 1);
      return found[0]!;
    }, 60_000, 200);
    const page = await inner.getObject(fedify.context());
    assert.ok(page instanceof Page, `Fedify read ${page?.constructor.name}`);
    assert.equal(page.id?.href, pageIri);
    assert.match(text(page.content), /Edited for Fedify/);
    assert.ok(page.updated, 'the edited Page says when');
    assert.deepEqual(fedify.refused(), []);
  });

  it('a deletion arrives as a Delete with a Tombstone of the Page', async () => {
    const deleted = await peer.member.client.api('DELETE', `/posts/${postId}`);
    assert.ok(deleted.status < 300, deleted.text);
    const { inner } = await eventually(async () => {
      const found = await carried(Delete);
      assert.equal(found.length, 1);
      return found[0]!;
    }, 60_000, 200);
    assert.equal(inner.objectId?.href, pageIri);
    const tombstone = await inner.getObject(fedify.context());
    assert.ok(tombstone instanceof Tombstone, `Fedify read ${tombstone?.constructor.name}`);
    assert.deepEqual(fedify.refused(), []);
    assert.deepEqual(fedify.errors, []);
  });

  it('Fedify’s inbox really checks the signatures: a delivery replayed with its body changed is refused', async () => {
    const original = fedify.deliveries.find((d) => (d.json as { type?: string } | null)?.type === 'Announce' && d.raw.includes('Hello, Fedify'));
    assert.ok(original, 'Fedify received the Announce of the post');
    assert.equal(original.status, 202);
    const before = fedify.taken.length;
    const tampered = await fetch(`${fedify.url}${original.path}`, { method: 'POST', headers: original.headers, body: original.raw.replace('Hello, Fedify', 'Hello, Mallory') });
    assert.equal(tampered.status, 401, await tampered.text());
    assert.equal(fedify.taken.length, before);
  });
});
