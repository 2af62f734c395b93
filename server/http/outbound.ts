import dns from 'node:dns/promises';
import net from 'node:net';
import { AppError } from './errors.js';

/** Addresses a server must never be made to call: loopback, private, link-local, CGNAT, multicast, reserved. */
const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96]] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

export function isBlockedAddress(address: string): boolean {
  return blocked.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
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
