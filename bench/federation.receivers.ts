import crypto from 'node:crypto';
import http from 'node:http';
import { promisify } from 'node:util';
import { signRequest } from '../federation/signatures.js';

/**
 * The remote side of bench/federation.bench.ts, in a process of its own
 * (forked with IPC): SERVERS simulated ActivityPub servers, each an HTTP
 * server on its own 127.0.0.1 port with ACTORS actors whose documents
 * advertise the server's shared inbox. It answers the instance's fetches of
 * actor documents, takes every delivery (202) and counts it, tells the bench
 * when each server first gets the Announce of the post it watches for, and
 * sends signed activities (draft-cavage, as test/federation/receiver.ts
 * does) to the instance's inbox with a fixed number in flight.
 */

export type ToReceivers =
  | { type: 'start'; servers: number; actorsPerServer: number; keysPerServer: number }
  | {
      type: 'send';
      kind: SendKind;
      group: string;
      concurrency: number;
      /** The Like's object, or the post the Create's Note replies to. */
      object?: string;
      /** Only these actors (ids) send, e.g. to retry refused ones; every actor when absent. */
      only?: string[];
    }
  | { type: 'watch'; title: string }
  | { type: 'counts' }
  | { type: 'stop' };

/** Requests the simulated servers received, over all of them. */
export interface Counts {
  /** GETs of actor documents (the instance fetching a key). */
  readonly gets: number;
  readonly posts: number;
  readonly sharedInboxPosts: number;
  readonly personalInboxPosts: number;
  /** POSTs by activity type; an Announce counts as `Announce(<inner type>)`. */
  readonly byType: Record<string, number>;
  /** POSTs per server (index = server). */
  readonly perServer: number[];
}

/** Follow of the Group (first contact: the instance fetches the key), Like of a post, Create of a reply Note. */
export type SendKind = 'Follow' | 'Like' | 'Create';

export interface SendResult {
  readonly type: 'sent';
  readonly kind: SendKind;
  readonly attempted: number;
  readonly ok: number;
  readonly statuses: Record<string, number>;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Milliseconds from each request's start to its answer, sorted. */
  readonly latencies: number[];
  /** Refused or failed requests by status and answer, to explain a failure. */
  readonly refusals: Record<string, number>;
  /** The actors whose request was refused or failed. */
  readonly failedActors: string[];
}

export type FromReceivers =
  | { type: 'ready'; keygenMs: number; urls: string[] }
  | SendResult
  | { type: 'arrived'; title: string; server: number; at: number; objectId: string }
  | ({ type: 'counts' } & Counts)
  | { type: 'failed'; message: string };

/** Wall-clock milliseconds that compare across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

const AS = 'https://www.w3.org/ns/activitystreams';
const PUBLIC = `${AS}#Public`;
const generateKeyPair = promisify(crypto.generateKeyPair);

interface Actor {
  readonly server: number;
  readonly id: string;
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly document: string;
}

interface SimServer {
  readonly index: number;
  readonly http: http.Server;
  readonly url: string;
  readonly actors: Map<string, Actor>;
}

const one = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
const field = (v: unknown, key: string): unknown => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined);

function main(): void {
  const servers: SimServer[] = [];
  const counts = { gets: 0, posts: 0, sharedInboxPosts: 0, personalInboxPosts: 0, byType: {} as Record<string, number>, perServer: [] as number[] };
  /** Titles of watched threads, each with the servers its Announce has reached. */
  const watched = new Map<string, Set<number>>();
  const send = (message: FromReceivers) => process.send!(message);

  function onPost(server: SimServer, path: string, raw: string): void {
    counts.posts += 1;
    counts.perServer[server.index] = (counts.perServer[server.index] ?? 0) + 1;
    if (path === '/inbox') counts.sharedInboxPosts += 1;
    else counts.personalInboxPosts += 1;
    let activity: unknown;
    try {
      activity = JSON.parse(raw);
    } catch {
      activity = null;
    }
    const type = String(one(field(activity, 'type')) ?? 'invalid');
    const inner = one(field(activity, 'object'));
    const key = type === 'Announce' ? `Announce(${String(one(field(inner, 'type')) ?? 'by IRI')})` : type;
    counts.byType[key] = (counts.byType[key] ?? 0) + 1;
    if (watched.size > 0 && type === 'Announce' && one(field(inner, 'type')) === 'Create') {
      const object = one(field(inner, 'object'));
      const title = one(field(object, 'name'));
      const servers = typeof title === 'string' ? watched.get(title) : undefined;
      if (servers && !servers.has(server.index)) {
        servers.add(server.index);
        send({ type: 'arrived', title: title as string, server: server.index, at: now(), objectId: String(one(field(object, 'id'))) });
      }
    }
  }

  async function startServer(index: number, actorsPerServer: number, keys: readonly { publicKey: string; privateKey: string }[]): Promise<SimServer> {
    const actors = new Map<string, Actor>();
    const server: SimServer = {
      index,
      http: http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const path = (req.url ?? '/').split('?')[0]!;
          if (req.method === 'GET') {
            const actor = actors.get(path);
            if (!actor) {
              res.writeHead(404).end();
              return;
            }
            counts.gets += 1;
            res.writeHead(200, { 'content-type': 'application/activity+json' }).end(actor.document);
            return;
          }
          if (req.method === 'POST') onPost(server, path, Buffer.concat(chunks).toString('utf8'));
          res.writeHead(202).end();
        });
      }),
      url: '',
      actors,
    };
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    const address = server.http.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    (server as { url: string }).url = url;
    for (let j = 0; j < actorsPerServer; j++) {
      const name = `s${index}u${j}`;
      const id = `${url}/users/${name}`;
      const key = keys[j % keys.length]!;
      const document = JSON.stringify({
        '@context': [AS, 'https://w3id.org/security/v1'],
        id,
        type: 'Person',
        preferredUsername: name,
        inbox: `${id}/inbox`,
        outbox: `${id}/outbox`,
        followers: `${id}/followers`,
        endpoints: { sharedInbox: `${url}/inbox` },
        publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: key.publicKey },
      });
      actors.set(new URL(id).pathname, { server: index, id, keyId: `${id}#main-key`, privateKeyPem: key.privateKey, document });
    }
    return server;
  }

  /** Round robin over the servers (actor 0 of every server, then actor 1…), as follows from many places would arrive. */
  function allActors(): Actor[] {
    const lists = servers.map((s) => [...s.actors.values()]);
    const out: Actor[] = [];
    const longest = Math.max(...lists.map((l) => l.length));
    for (let j = 0; j < longest; j++) {
      for (const l of lists) {
        const actor = l[j];
        if (actor) out.push(actor);
      }
    }
    return out;
  }

  let sequence = 0;
  function activityOf(kind: SendKind, actor: Actor, group: string, object: string | undefined): Record<string, unknown> {
    sequence += 1;
    const n = `${sequence}-${crypto.randomBytes(4).toString('hex')}`;
    if (kind === 'Follow') return { '@context': AS, id: `${actor.id}/follows/${n}`, type: 'Follow', actor: actor.id, object: group };
    // A vote or favourite of the board's post, as Lemmy or Mastodon send one to the community's inbox.
    if (kind === 'Like') return { '@context': AS, id: `${actor.id}/likes/${n}`, type: 'Like', actor: actor.id, object, audience: group, to: [group], cc: [PUBLIC] };
    const inReplyTo = object;
    const published = new Date().toISOString();
    // A comment on the board's thread, as Lemmy, Mbin or PieFed send one to the community's inbox.
    const note = {
      id: `${actor.id}/notes/${n}`,
      type: 'Note',
      attributedTo: actor.id,
      content: `<p>A reply from a remote member, number ${sequence}. Thanks for posting this, it helps.</p>`,
      mediaType: 'text/html',
      inReplyTo,
      context: inReplyTo,
      audience: group,
      to: [group, PUBLIC],
      cc: [`${actor.id}/followers`],
      published,
    };
    return { '@context': AS, id: `${actor.id}/creates/${n}`, type: 'Create', actor: actor.id, to: [group, PUBLIC], cc: note.cc, audience: group, object: note, published };
  }

  async function sendAll(message: Extract<ToReceivers, { type: 'send' }>): Promise<SendResult> {
    const inbox = `${message.group}/inbox`;
    const url = new URL(inbox);
    const only = message.only ? new Set(message.only) : null;
    const actors = allActors().filter((a) => !only || only.has(a.id));
    const statuses: Record<string, number> = {};
    const latencies: number[] = [];
    const refusals: Record<string, number> = {};
    const refuse = (reason: string) => {
      refusals[reason] = (refusals[reason] ?? 0) + 1;
    };
    const failedActors: string[] = [];
    let next = 0;
    let ok = 0;
    const startedAt = now();
    const lane = async () => {
      for (;;) {
        const actor = actors[next++];
        if (!actor) return;
        const body = JSON.stringify(activityOf(message.kind, actor, message.group, message.object));
        const headers = { 'content-type': 'application/activity+json', ...signRequest({ method: 'POST', url, keyId: actor.keyId, privateKeyPem: actor.privateKeyPem, body }) };
        const t = now();
        let status = 'network error';
        try {
          const res = await fetch(inbox, { method: 'POST', headers, body });
          const text = await res.text();
          status = String(res.status);
          if (res.ok) ok += 1;
          else refuse(`${res.status} ${text.slice(0, 200)}`);
        } catch (error) {
          refuse(error instanceof Error ? error.message : String(error));
        }
        if (status[0] !== '2') failedActors.push(actor.id);
        latencies.push(now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: message.concurrency }, lane));
    return { type: 'sent', kind: message.kind, attempted: actors.length, ok, statuses, startedAt, endedAt: now(), latencies: latencies.sort((a, b) => a - b), refusals, failedActors };
  }

  process.on('message', (message: ToReceivers) => {
    (async () => {
      switch (message.type) {
        case 'start': {
          const t = now();
          // 2048-bit keys take ~0.1 s each: a few per server, shared by its actors (each keeps its own keyId and document).
          const keys = await Promise.all(
            Array.from({ length: message.servers * message.keysPerServer }, () =>
              generateKeyPair('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }),
            ),
          );
          const keygenMs = now() - t;
          for (let i = 0; i < message.servers; i++) {
            const own = keys.slice(i * message.keysPerServer, (i + 1) * message.keysPerServer);
            servers.push(await startServer(i, message.actorsPerServer, own));
          }
          counts.perServer = servers.map(() => 0);
          send({ type: 'ready', keygenMs, urls: servers.map((s) => s.url) });
          break;
        }
        case 'send':
          send(await sendAll(message));
          break;
        case 'watch':
          watched.set(message.title, new Set());
          break;
        case 'counts':
          send({ type: 'counts', ...structuredClone(counts) });
          break;
        case 'stop':
          for (const s of servers) {
            s.http.closeAllConnections();
            s.http.close();
          }
          setTimeout(() => process.exit(0), 100);
          break;
      }
    })().catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
  // The bench's process is our only reason to live.
  process.on('disconnect', () => process.exit(0));
}

if (process.send) main();
