import type { Dispatcher } from 'undici';
import { assertCallable, outboundRequest, refusedAddress } from '../server/http/outbound.js';
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
  readonly allowHost?: (host: string) => boolean | Promise<boolean>;
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

/** One value of a response header. */
const headerOf = (res: Dispatcher.ResponseData, name: string): string | undefined => {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Closes an answer's body unread; undici reports that as an error on the stream, which nobody is left to hear. */
function drop(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => undefined);
  res.body.destroy();
}

/** Reads at most `limit` bytes of a response body. */
async function readLimited(res: Dispatcher.ResponseData, limit: number): Promise<string> {
  const declared = Number(headerOf(res, 'content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    drop(res);
    throw new FetchError('response too large', res.statusCode);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      drop(res);
      throw new FetchError('response too large', res.statusCode);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads and drops what is left of an answer, so that its connection can serve the next request. */
const discard = (res: Dispatcher.ResponseData): Promise<void> => res.body.dump({ limit: 65_536 }).catch(() => undefined);

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
    let res: Dispatcher.ResponseData;
    try {
      res = await outboundRequest(url, { method: 'GET', headers, signal: AbortSignal.timeout(options.timeoutMs) }, options.allowPrivateNetwork);
    } catch (error) {
      throw failure('fetch failed', error);
    }
    const status = res.statusCode;
    const location = headerOf(res, 'location');
    if (status >= 300 && status < 400 && location) {
      await discard(res);
      if (hop >= MAX_REDIRECTS) throw new FetchError('too many redirects', status);
      url = await callable(new URL(location, url).toString(), options);
      continue;
    }
    if (status < 200 || status >= 300) {
      await discard(res);
      throw new FetchError(`status ${status}`, status, status >= 500 || status === 429);
    }
    if (!JSON_TYPES.test(headerOf(res, 'content-type') ?? '')) {
      await discard(res);
      throw new FetchError('not a JSON document', status);
    }
    let text: string;
    try {
      text = await readLimited(res, MAX_DOCUMENT_BYTES);
    } catch (error) {
      if (error instanceof FetchError) throw error;
      throw failure('fetch failed', error);
    }
    try {
      return { url, json: JSON.parse(text) as unknown };
    } catch {
      throw new FetchError('malformed JSON', status);
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
  let res: Dispatcher.ResponseData;
  try {
    res = await outboundRequest(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) }, options.allowPrivateNetwork);
  } catch (error) {
    throw failure('delivery failed', error);
  }
  await discard(res);
  const retryAfter = Number(headerOf(res, 'retry-after'));
  return { status: res.statusCode, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 86_400) * 1000 : 0 };
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
  if (options.allowHost && !(await options.allowHost(url.host.toLowerCase()))) throw new FetchError('server refused by this instance');
  return url;
}
