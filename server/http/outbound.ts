import dns from 'node:dns/promises';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Agent, Dispatcher, RequestInit, Response } from 'undici';
import { AppError } from '../core/errors.js';

/**
 * Whether a server must never be made to call `address`: anything but a
 * public unicast address. ipaddr.js keeps the registry of special ranges
 * (loopback, private, CGNAT, link-local, unique-local, multicast, reserved,
 * and the NAT64 and 6to4 prefixes, through which an IPv6 address reaches an
 * IPv4 one); process() reads an IPv4-mapped address as the IPv4 address it
 * stands for, so ::ffff:127.0.0.1 is loopback. What cannot be read is refused.
 */
export function isBlockedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  return ipaddr.process(address).range() !== 'unicast';
}

/**
 * Refuses a URL the server is about to call (SSRF): it must be https and
 * resolve only to public addresses. Tests may allow private addresses (their
 * peers listen on 127.0.0.1), and then plain http too.
 */
export async function assertCallable(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError(422, 'bad_url');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw new AppError(422, 'bad_url');
  if (url.username || url.password) throw new AppError(422, 'bad_url');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0 || addresses.some(isBlockedAddress)) throw new AppError(422, 'bad_url');
  return url;
}

/** The error code of a connection refused because its address is not public. */
const ADDRESS_REFUSED = 'EADDRNOTPUBLIC';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export type Lookup = (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback) => void;

/**
 * A lookup for connections that refuses names resolving to a `blocked`
 * address: the addresses a connection is made to are the ones checked.
 * assertCallable looks the name up beforehand too, but a name whose server
 * answers a public address to that check and a private one a moment later,
 * when the connection is made (DNS rebinding), would otherwise reach loopback
 * or the private network.
 */
export function addressCheckingLookup(blocked: (address: string) => boolean): Lookup {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { family: Number(options.family ?? 0) as 0 | 4 | 6, all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      if (addresses.length === 0 || addresses.some((a) => blocked(a.address))) {
        callback(Object.assign(new Error(`${hostname} resolves to an address this server may not call`), { code: ADDRESS_REFUSED }), []);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

const importUndici = () => import('undici');
type Undici = Awaited<ReturnType<typeof importUndici>>;
let loaded: Promise<Undici> | null = null;
let publicOnly: Agent | null = null;
let anyAddress: Agent | null = null;

/** undici is loaded with the first outbound call, not at start: a process that never calls out does not hold it. */
const undici = (): Promise<Undici> => (loaded ??= importUndici());

const publicOnlyAgent = ({ Agent }: Undici): Agent => (publicOnly ??= new Agent({ connect: { lookup: addressCheckingLookup(isBlockedAddress) } }));

/**
 * Tests' agent, our own too: undici's global dispatcher is shared with Node's bundled undici, so without one the
 * request would go through whichever undici Node ships (7 on Node 24, stricter about headers than ours).
 */
const anyAddressAgent = ({ Agent }: Undici): Agent => (anyAddress ??= new Agent());

/**
 * fetch for requests to addresses that others chose (Web Push endpoints):
 * the address of every connection is checked when it is made
 * (addressCheckingLookup), unless tests allow private addresses.
 */
export async function outboundFetch(url: string | URL, init: RequestInit, allowPrivate: boolean): Promise<Response> {
  const u = await undici();
  return u.fetch(url, { ...init, dispatcher: allowPrivate ? anyAddressAgent(u) : publicOnlyAgent(u) });
}

export interface OutboundRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/**
 * outboundFetch's checks on undici's request() rather than its fetch():
 * federation makes a request for every new remote actor and every delivery,
 * and fetch's WHATWG layers (Headers, Response, web streams) cost several
 * times what the request itself does. Redirects are not followed.
 */
export async function outboundRequest(url: URL, init: OutboundRequest, allowPrivate: boolean): Promise<Dispatcher.ResponseData> {
  const u = await undici();
  return u.request(url, { ...init, dispatcher: allowPrivate ? anyAddressAgent(u) : publicOnlyAgent(u) });
}

/** Whether a failed outboundFetch was refused for its address (retrying cannot help). */
export function refusedAddress(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === ADDRESS_REFUSED) return true;
  }
  return false;
}
