import type { Response } from 'undici';
import { assertCallable, outboundFetch, refusedAddress } from '../server/http/outbound.js';
import { signRequestOffThread } from './signatures.js';

/**
 * Every request federation makes goes through here: the address is checked
 * against private, loopback and link-local ranges (SSRF) at each hop, and
 * again for the address each connection is made to (DNS rebinding), the
 * answer is bounded in time and size, and redirects are followed by hand so
 * that each target is checked too.
 */
export interface Signer {
  readonly keyId: string;
  readonly privateKeyPem: string;
}

export interface OutboundOptions {
  readonly allowPrivateNetwork: boolean;
  readonly timeoutMs: number;
  readonly userAgent: string;
  /** The instance's deny list or allow-list (policy.ts): a refused host is never called, redirects included. */
  readonly allowHost?: (host: string) => boolean;
}

export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status: number | null = null,
    /** Whether trying again later could help. */
    readonly transient = false,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 3;
export const MAX_DOCUMENT_BYTES = 1_048_576;

const JSON_TYPES = /^application\/(activity\+json|ld\+json|json|jrd\+json)\b/i;
export const ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

/** Reads at most `limit` bytes of a response body. */
async function readLimited(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new FetchError('response too large', res.status);
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new FetchError('response too large', res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * GETs a JSON document, signed by `signer` when given. Returns the final URL
 * (after redirects) with the parsed body.
 */
export async function fetchJson(
  raw: string,
  options: OutboundOptions & { readonly signer?: Signer | null; readonly accept?: string },
): Promise<{ url: URL; json: unknown }> {
  let url = await callable(raw, options);
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { accept: options.accept ?? ACTIVITY_ACCEPT, 'user-agent': options.userAgent };
    if (options.signer) Object.assign(headers, await signRequestOffThread({ method: 'GET', url, keyId: options.signer.keyId, privateKeyPem: options.signer.privateKeyPem }));
    let res: Response;
    try {
      res = await outboundFetch(url, { method: 'GET', headers, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) }, options.allowPrivateNetwork);
    } catch (error) {
      throw failure('fetch failed', error);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new FetchError('too many redirects', res.status);
      url = await callable(new URL(res.headers.get('location')!, url).toString(), options);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FetchError(`status ${res.status}`, res.status, res.status >= 500 || res.status === 429);
    }
    const type = res.headers.get('content-type') ?? '';
    if (!JSON_TYPES.test(type)) {
      await res.body?.cancel();
      throw new FetchError('not a JSON document', res.status);
    }
    const text = await readLimited(res, MAX_DOCUMENT_BYTES);
    try {
      return { url, json: JSON.parse(text) as unknown };
    } catch {
      throw new FetchError('malformed JSON', res.status);
    }
  }
}

export interface PostResult {
  readonly status: number;
  readonly retryAfterMs: number;
}

/** POSTs a signed activity to an inbox; the answer's body is discarded. */
export async function postActivity(
  inbox: string,
  body: string,
  signer: Signer,
  options: OutboundOptions,
): Promise<PostResult> {
  const url = await callable(inbox, options);
  const headers: Record<string, string> = {
    'content-type': 'application/activity+json',
    'user-agent': options.userAgent,
    ...(await signRequestOffThread({ method: 'POST', url, keyId: signer.keyId, privateKeyPem: signer.privateKeyPem, body })),
  };
  let res: Response;
  try {
    res = await outboundFetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) }, options.allowPrivateNetwork);
  } catch (error) {
    throw failure('delivery failed', error);
  }
  await res.body?.cancel();
  const retryAfter = Number(res.headers.get('retry-after'));
  return { status: res.status, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 86_400) * 1000 : 0 };
}

/** A request that got no answer: worth trying again later, unless its address was refused. */
function failure(what: string, error: unknown): FetchError {
  if (refusedAddress(error)) return new FetchError('address not allowed');
  return new FetchError(`${what}: ${error instanceof Error ? error.name : 'error'}`, null, true);
}

async function callable(raw: string, options: OutboundOptions): Promise<URL> {
  let url: URL;
  try {
    url = await assertCallable(raw, options.allowPrivateNetwork);
  } catch {
    throw new FetchError('address not allowed');
  }
  if (options.allowHost && !options.allowHost(url.host.toLowerCase())) throw new FetchError('server refused by this instance');
  return url;
}
