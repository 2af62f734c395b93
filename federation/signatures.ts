import crypto from 'node:crypto';

/**
 * HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures-12
 * with RSA-SHA256, `hs2019` accepted as its alias) and the Digest header
 * (RFC 3230). Written against node:crypto so that signing and the checks
 * Parasol adds before apex's own verification share one reading of the draft.
 */

export interface SignatureParams {
  readonly keyId: string;
  readonly algorithm: string;
  readonly headers: readonly string[];
  readonly signature: string;
}

export const SIGNED_POST_HEADERS = ['(request-target)', 'host', 'date', 'digest'] as const;
export const SIGNED_GET_HEADERS = ['(request-target)', 'host', 'date'] as const;

/** Algorithms accepted on incoming requests; both mean RSA with SHA-256 for an RSA key. */
export const ACCEPTED_ALGORITHMS = new Set(['rsa-sha256', 'hs2019']);

export function digestHeader(body: string | Buffer): string {
  return `SHA-256=${crypto.createHash('sha256').update(body).digest('base64')}`;
}

/**
 * Whether a Digest header matches the body: every SHA-256 or SHA-512 value it
 * lists must match, and it must list at least one of them.
 */
export function digestMatches(header: string | undefined, body: Buffer): boolean {
  if (!header) return false;
  let checked = 0;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const algorithm = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    const hash = algorithm === 'sha-256' ? 'sha256' : algorithm === 'sha-512' ? 'sha512' : null;
    if (!hash) continue;
    const expected = crypto.createHash(hash).update(body).digest();
    const given = Buffer.from(value, 'base64');
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return false;
    checked += 1;
  }
  return checked > 0;
}

/** Parses `keyId="…",algorithm="…",headers="…",signature="…"`; null when malformed. */
export function parseSignatureHeader(value: string | undefined): SignatureParams | null {
  if (!value || value.length > 8192) return null;
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(,|$)/y;
  let index = 0;
  while (index < value.length) {
    re.lastIndex = index;
    const m = re.exec(value);
    if (!m) return null;
    const key = m[1]!.toLowerCase();
    if (params.has(key)) return null;
    params.set(key, m[2]!);
    index = re.lastIndex;
  }
  const keyId = params.get('keyid');
  const signature = params.get('signature');
  if (!keyId || !signature) return null;
  const headers = (params.get('headers') ?? 'date').toLowerCase().split(/\s+/).filter(Boolean);
  return { keyId, algorithm: (params.get('algorithm') ?? 'hs2019').toLowerCase(), headers, signature };
}

/** The signature header of a request: `Signature: …`, or the older `Authorization: Signature …`. */
export function signatureHeaderOf(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const sig = headers.signature;
  if (typeof sig === 'string') return sig;
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Signature\s/i.test(auth)) return auth.replace(/^Signature\s+/i, '');
  return undefined;
}

/** The string that was signed, or null when a signed header is missing. */
export function signingString(
  names: readonly string[],
  method: string,
  path: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | null {
  const lines: string[] = [];
  for (const name of names) {
    if (name === '(request-target)') {
      lines.push(`(request-target): ${method.toLowerCase()} ${path}`);
      continue;
    }
    const value = headers[name];
    if (value === undefined) return null;
    lines.push(`${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
  }
  return lines.join('\n');
}

/**
 * Parsed keys by PEM: parsing costs several times a verification and a good part of a signature, and the same few
 * keys sign and verify most requests.
 */
function keyCache(parse: (pem: string) => crypto.KeyObject, max: number): (pem: string) => crypto.KeyObject {
  const keys = new Map<string, crypto.KeyObject>();
  return (pem) => {
    let key = keys.get(pem);
    if (!key) {
      key = parse(pem);
      if (keys.size >= max) keys.delete(keys.keys().next().value!);
      keys.set(pem, key);
    }
    return key;
  };
}

const publicKeyOf = keyCache((pem) => crypto.createPublicKey(pem), 5_000);
/** Our own actors' keys: a few. */
const privateKeyOf = keyCache((pem) => crypto.createPrivateKey(pem), 1_000);

export function verifySignature(params: SignatureParams, data: string, publicKeyPem: string): boolean {
  try {
    const key = publicKeyOf(publicKeyPem);
    if (key.asymmetricKeyType !== 'rsa') return false;
    return crypto.verify('sha256', Buffer.from(data), key, Buffer.from(params.signature, 'base64'));
  } catch {
    return false;
  }
}

export interface SignRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly body?: string;
  /** Defaults to now; tests pass other dates. */
  readonly date?: Date;
}

/** The headers that sign a request: Date, Digest (with a body) and Signature. Host is the URL's, as fetch sends it. */
export function signRequest(request: SignRequest): Record<string, string> {
  const { headers, data } = unsignedHeaders(request);
  return withSignature(headers, request, crypto.sign('sha256', Buffer.from(data), privateKeyOf(request.privateKeyPem)));
}

/**
 * signRequest with the RSA work on libuv's thread pool: a board's post goes
 * to fifty inboxes, each signed, and every new remote actor costs a signed
 * fetch of its key; on the main thread those signatures held up everything
 * else the server was doing.
 */
export async function signRequestOffThread(request: SignRequest): Promise<Record<string, string>> {
  const { headers, data } = unsignedHeaders(request);
  const signature = await new Promise<Buffer>((resolve, reject) => {
    crypto.sign('sha256', Buffer.from(data), privateKeyOf(request.privateKeyPem), (error, signed) => (error ? reject(error) : resolve(signed)));
  });
  return withSignature(headers, request, signature);
}

function unsignedHeaders(request: SignRequest): { headers: Record<string, string>; data: string } {
  const date = (request.date ?? new Date()).toUTCString();
  const headers: Record<string, string> = { date };
  if (request.body !== undefined) headers.digest = digestHeader(request.body);
  const data = signingString(signedHeaderNames(request), request.method, `${request.url.pathname}${request.url.search}`, { ...headers, host: request.url.host })!;
  return { headers, data };
}

const signedHeaderNames = (request: SignRequest): readonly string[] => (request.body === undefined ? SIGNED_GET_HEADERS : SIGNED_POST_HEADERS);

function withSignature(headers: Record<string, string>, request: SignRequest, signature: Buffer): Record<string, string> {
  return {
    ...headers,
    signature: `keyId="${request.keyId}",algorithm="rsa-sha256",headers="${signedHeaderNames(request).join(' ')}",signature="${signature.toString('base64')}"`,
  };
}
