import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../server/paths.js';
import type { ApexContext, IApexStore } from './apex-types.js';

/**
 * The JSON-LD contexts peers commonly put in @context, shipped with Parasol
 * (federation/contexts/, sources in its README) so that reading an activity
 * never fetches anything: a context server that is down, slow, or hostile
 * cannot stall or steer the inbox.
 */
const dir = path.join(projectRoot, 'federation', 'contexts');

const files: Readonly<Record<string, string>> = {
  'https://www.w3.org/ns/activitystreams': 'activitystreams.jsonld',
  'https://w3id.org/security/v1': 'security-v1.jsonld',
  'https://w3id.org/security/v2': 'security-v2.jsonld',
  'https://w3id.org/security/data-integrity/v1': 'data-integrity-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://w3id.org/security/suites/ed25519-2020/v1': 'ed25519-signature-2020-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://litepub.social/litepub/context.jsonld': 'litepub-0.1.jsonld',
  'https://purl.archive.org/socialweb/webfinger': 'webfinger.jsonld',
  'https://join-lemmy.org/context.json': 'lemmy.jsonld',
  'https://gotosocial.org/ns': 'gotosocial.jsonld',
};

/** Other spellings of the same documents. */
const aliases: Readonly<Record<string, string>> = {
  'http://www.w3.org/ns/activitystreams': 'https://www.w3.org/ns/activitystreams',
  'https://www.w3.org/ns/activitystreams.jsonld': 'https://www.w3.org/ns/activitystreams',
  'https://w3c.github.io/activitystreams/activitystreams.jsonld': 'https://www.w3.org/ns/activitystreams',
  'https://w3id.org/security/v1.jsonld': 'https://w3id.org/security/v1',
  'https://w3id.org/security/v2.jsonld': 'https://w3id.org/security/v2',
};

let loaded: Map<string, unknown> | null = null;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The bundled documents by URL, read once and frozen (see bundledContext).
 */
export function bundledContexts(): ReadonlyMap<string, unknown> {
  if (!loaded) {
    loaded = new Map(Object.entries(files).map(([url, file]) => [url, deepFreeze(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as unknown)]));
  }
  return loaded;
}

/** Every Pleroma and Akkoma server serves the same LitePub context at its own URL. */
const LITEPUB_PATH = /^https?:\/\/[^/]+\/schemas\/litepub-0\.1\.jsonld$/;

/**
 * Whether jsonld changes the document as it reads it: it rewrites in place
 * the URLs of the contexts a document lists (`"@context": [url, …]`).
 */
const listsContexts = (document: unknown): boolean => Array.isArray((document as { '@context'?: unknown })['@context']);

/**
 * The bundled document for a context URL, or null. The JSON-LD processor asks
 * for one for every activity it reads: a document it only reads (the large
 * ActivityStreams one among them) is handed over as it is, not copied
 * (copying was 5% of the inbox's time); it is frozen, so a processor that
 * tried to change it would fail loudly instead of changing it for every later
 * reader. One it changes gets a copy. Each is marked static, so jsonld keeps
 * the context it processed from it for later reads instead of processing the
 * document again for every activity.
 */
export function bundledContext(url: string): ApexContext | null {
  const contexts = bundledContexts();
  const key = LITEPUB_PATH.test(url) ? 'https://litepub.social/litepub/context.jsonld' : (aliases[url] ?? url);
  const document = contexts.get(key);
  if (document === undefined) return null;
  return { contextUrl: null, documentUrl: url, document: listsContexts(document) ? structuredClone(document) : document, tag: 'static' };
}

/** Writes the bundled contexts into apex's context cache, so that the cache holds them whatever loader runs. */
export async function seedContextCache(store: IApexStore): Promise<void> {
  for (const [documentUrl, document] of bundledContexts()) {
    await store.saveContext({ contextUrl: null, documentUrl, document });
  }
}

export interface ContextLoaderOptions {
  readonly store: IApexStore;
  /** Told about each unknown context once per process (the URL only). */
  readonly onUnknown: (url: string) => void;
}

/**
 * apex's document loader, replaced: bundled contexts first, then apex's cache
 * (where an admin may add one), and never the network. An unknown context is
 * read as empty, so its extension terms are dropped while the ActivityStreams
 * terms, defined by the bundled context every peer also lists, still work;
 * fetching it instead would let any peer make us call any URL.
 */
export function createContextLoader(options: ContextLoaderOptions): (url: string) => Promise<ApexContext> {
  const told = new Set<string>();
  return async (url: string) => {
    const bundled = bundledContext(url);
    if (bundled) return bundled;
    const cached = await options.store.getContext(url);
    if (cached) return cached;
    if (!told.has(url) && told.size < 1000) {
      told.add(url);
      options.onUnknown(url);
    }
    return { contextUrl: null, documentUrl: url, document: { '@context': {} } };
  };
}
