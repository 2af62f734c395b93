import crypto from 'node:crypto';
import http from 'node:http';
import { signRequest } from '../../federation/signatures.js';
import { nextRsaKeyPair } from './test-keys.js';

/**
 * A tiny ActivityPub server in the test process: actors with keys, a shared
 * inbox, and a record of every request that reaches it, headers and raw body
 * included, so tests can check exactly what Parasol sent.
 */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: string;
  readonly json: Record<string, unknown> | null;
  readonly at: number;
}

export interface FakeActor {
  readonly id: string;
  readonly name: string;
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly inbox: string;
  /** The actor's type: Person unless the test makes a Group (a Lemmy community, a NodeBB category). */
  readonly type: string;
}

export class Receiver {
  readonly received: Received[] = [];
  private readonly actors = new Map<string, FakeActor>();
  /** The status POSTs to a path get; 202 when none is set. */
  readonly answers = new Map<string, number>();
  /** More of an actor's document, by the actor's name (`alsoKnownAs` of an account that moved in). */
  readonly actorFields = new Map<string, Record<string, unknown>>();
  /** Documents GETs of a path (with its query) get, besides the actors: posts, outboxes, pages. */
  readonly documents = new Map<string, unknown>();
  private server: http.Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | null;
        try {
          json = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
        } catch {
          json = null;
        }
        const path = req.url ?? '/';
        this.received.push({ method: req.method ?? 'GET', path, headers: req.headers, raw, json, at: Date.now() });
        if (req.method === 'GET') {
          const actor = [...this.actors.values()].find((a) => new URL(a.id).pathname === path);
          if (!actor && this.documents.has(path)) {
            res.writeHead(200, { 'content-type': 'application/activity+json' }).end(JSON.stringify(this.documents.get(path)));
            return;
          }
          if (!actor) {
            res.writeHead(404).end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/activity+json' }).end(JSON.stringify(this.document(actor)));
          return;
        }
        res.writeHead(this.answers.get(path) ?? 202).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  /** A new actor on this server, with a 2048-bit RSA key. */
  actor(name: string, type = 'Person'): FakeActor {
    const { publicKey, privateKey } = nextRsaKeyPair();
    const id = `${this.url}/users/${name}`;
    const actor = { id, name, keyId: `${id}#main-key`, privateKeyPem: privateKey, publicKeyPem: publicKey, inbox: `${id}/inbox`, type };
    this.actors.set(name, actor);
    return actor;
  }

  document(actor: FakeActor): Record<string, unknown> {
    return {
      '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
      id: actor.id,
      type: actor.type,
      preferredUsername: actor.name,
      inbox: actor.inbox,
      outbox: `${actor.id}/outbox`,
      followers: `${actor.id}/followers`,
      endpoints: { sharedInbox: `${this.url}/inbox` },
      publicKey: { id: actor.keyId, owner: actor.id, publicKeyPem: actor.publicKeyPem },
      ...this.actorFields.get(actor.name),
    };
  }

  posts(filter: (r: Received) => boolean = () => true): Received[] {
    return this.received.filter((r) => r.method === 'POST' && filter(r));
  }
}

let counter = 0;

/** A Follow of `target` by `actor`, as a remote server would write it. */
export function followActivity(actor: FakeActor, target: string): Record<string, unknown> {
  counter += 1;
  return {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${actor.id}/follows/${counter}-${crypto.randomBytes(4).toString('hex')}`,
    type: 'Follow',
    actor: actor.id,
    object: target,
  };
}

export interface SignedPost {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** Signs a POST of `activity` to `inbox` as `actor` (Date, Digest, Signature). */
export function signedPost(inbox: string, actor: Pick<FakeActor, 'keyId' | 'privateKeyPem'>, activity: unknown, date?: Date): SignedPost {
  const body = JSON.stringify(activity);
  const url = new URL(inbox);
  const headers = {
    'content-type': 'application/activity+json',
    ...signRequest({ method: 'POST', url, keyId: actor.keyId, privateKeyPem: actor.privateKeyPem, body, ...(date ? { date } : {}) }),
  };
  return { url: inbox, body, headers };
}

export async function send(post: SignedPost, override: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(post.url, { method: 'POST', headers: { ...post.headers, ...override.headers }, body: override.body ?? post.body });
  return { status: res.status, text: await res.text() };
}
