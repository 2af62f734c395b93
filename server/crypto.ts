import crypto from 'node:crypto';

/** 256 bits of randomness, URL-safe: session cookies, bearer tokens, setup links. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/**
 * Random bytes drawn a page at a time, as URL-safe text: one system call per page instead of one per value, for
 * values made at every turn (document ids, a CSRF seed for every page sent to a browser without one). Each byte
 * goes into one value only. Secrets that sign someone in (session cookies, bearer tokens) draw their own.
 */
const POOL_BYTES = 4_096;
let pool = Buffer.alloc(0);
let offset = 0;

export function pooledToken(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = crypto.randomBytes(Math.max(POOL_BYTES, bytes));
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + bytes);
  offset += bytes;
  return token;
}

/** Random ids for documents: unguessable, so an id in a URL reveals nothing about counts or order. */
export function newId(): string {
  return pooledToken(12);
}

/** Hash of a high-entropy secret (session or bearer token): enough to look it up, useless to a thief. */
export function sha256(text: string): string {
  return crypto.hash('sha256', text, 'base64url');
}

/** Keyed hash for lower-entropy codes (recovery and invite codes) so a stolen database cannot brute-force them offline without the key. */
export function hmac(key: string, text: string): string {
  return crypto.createHmac('sha256', key).update(text).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

const codeAlphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Human-typable code (no 0/o, 1/l/i), e.g. "k7xq2-mfp9a": 50 bits. */
export function humanCode(groups = 2, groupLength = 5): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    let part = '';
    for (let i = 0; i < groupLength; i++) part += codeAlphabet[crypto.randomInt(codeAlphabet.length)];
    parts.push(part);
  }
  return parts.join('-');
}

/** Normalises what a person typed back into a code: case, spaces and dashes do not matter. */
export function normaliseCode(typed: string): string {
  return typed.toLowerCase().replace(/[^a-z0-9]/g, '');
}
