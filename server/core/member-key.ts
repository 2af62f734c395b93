import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { AppError } from './errors.js';

/** Bytes of a member key (and of every key derived from it). */
export const MEMBER_KEY_BYTES = 32;

const BLIND_LABEL = 'parasol-blind-v1';
/** Blinded ids a key remembers; a member's list of rooms asks for one per room of the instance, so it starts over past this. */
const MAX_BLINDED = 256;

/**
 * A member's secret key. The database never holds it in the clear: it is kept
 * wrapped under keys only the member's passphrase, recovery codes and live
 * session or token secrets can derive, and unwrapped in memory only: for an
 * open socket, or for a few minutes after a session's or token's last use. From it come the member's blinded ids: what anonymous
 * posts, reviews, reactions and room memberships are stored under, so a copy of
 * the database cannot tell whose they are.
 *
 * The bytes live in a private field and the key prints and serialises as a
 * placeholder, so a log line or a JSON answer that picks up a viewer object
 * cannot carry it.
 */
export class MemberKey {
  readonly #bytes: Buffer;
  #blindKey: Buffer | null = null;
  /** A key is kept across a member's requests (accounts/unwrapped-keys.ts), and each asks for the same few scopes. */
  readonly #blinded = new Map<string, string>();

  private constructor(bytes: Buffer) {
    if (bytes.length !== MEMBER_KEY_BYTES) throw new Error(`a member key has ${MEMBER_KEY_BYTES} bytes`);
    this.#bytes = Buffer.from(bytes);
  }

  static generate(): MemberKey {
    return new MemberKey(crypto.randomBytes(MEMBER_KEY_BYTES));
  }

  /** For the code that unwraps a stored key; nothing else builds one from bytes. */
  static fromBytes(bytes: Uint8Array): MemberKey {
    return new MemberKey(Buffer.from(bytes));
  }

  /** For the code that wraps the key (under a passphrase, a recovery code, a session or token secret). */
  exportBytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  /**
   * The member's blinded id in one scope, e.g. `board:<id>` or `room:<id>`: the same
   * member gets the same id in the same scope every time, and unlinkable ids in
   * different scopes. The server computes it; it never accepts one from a client.
   */
  blind(scope: string): string {
    const known = this.#blinded.get(scope);
    if (known !== undefined) return known;
    this.#blindKey ??= Buffer.from(crypto.hkdfSync('sha256', this.#bytes, Buffer.alloc(0), BLIND_LABEL, MEMBER_KEY_BYTES));
    const blinded = crypto.createHmac('sha256', this.#blindKey).update(scope).digest('base64url');
    if (this.#blinded.size >= MAX_BLINDED) this.#blinded.clear();
    this.#blinded.set(scope, blinded);
    return blinded;
  }

  /** A further key for one purpose (e.g. wrapping a room's private key), never the key itself. */
  derive(label: string): Buffer {
    return Buffer.from(crypto.hkdfSync('sha256', this.#bytes, Buffer.alloc(0), `parasol-${label}-v1`, MEMBER_KEY_BYTES));
  }

  toJSON(): string {
    return '[member key]';
  }

  toString(): string {
    return '[member key]';
  }

  [inspect.custom](): string {
    return 'MemberKey [hidden]';
  }
}

/** Scopes of blinded ids, one place so that no two features share one by accident. */
export const blindScope = {
  board: (boardId: string) => `board:${boardId}`,
  reviewBoard: (boardId: string) => `review-board:${boardId}`,
  room: (roomId: string) => `room:${roomId}`,
  /** A member's place in one private conversation. */
  conversation: (conversationId: string) => `conversation:${conversationId}`,
  /** Where a member's encrypted list of conversations is kept. */
  conversationVault: () => 'conversation-vault',
  /** Where notifications about anonymous items and rooms wait for the member's next visit. */
  inbox: () => 'inbox',
} as const;

/**
 * The key, or a 401 `member_key_locked` when the session or token was made
 * before member keys: logging in again unlocks the member's anonymous posts and rooms.
 */
export function requireMemberKey(key: MemberKey | null): MemberKey {
  if (!key) throw new AppError(401, 'member_key_locked');
  return key;
}
