import crypto from 'node:crypto';
import type { Store } from '../store/port.js';
import { reviewBoardsCollection, type ReviewBoardDoc } from './reviews.collections.js';

const KEY_BYTES = 32;
const WRAP_PREFIX = 'v1';

const hkdf = (master: Buffer, info: string, length = KEY_BYTES) => Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), `parasol/${info}`, length));

/** The instance secret a board's key comes from, as far as start-up can tell. */
export class BoardKeyError extends Error {
  override name = 'BoardKeyError';
}

/**
 * The review boards' digest keys. None is stored in clear: a board's key is
 * derived (HKDF) from the instance secret and the board's id, or, for a key
 * set by hand (a partner network's shared secret, or a key made before keys
 * were derived), stored wrapped with AES-256-GCM under a key derived from
 * the same secret. The instance secret is PARASOL_SECRET_FILE, kept off the
 * data disk; without it, a secret derived from the instance's HMAC key,
 * which lives in the database, so that only DATABASE_KEY then protects the
 * digests of a seized copy.
 */
export class BoardKeys {
  /** Stored on each board: tells which instance secret made its key (a derived value, not the secret). */
  readonly check: string;
  private readonly wrapKey: Buffer;

  /**
   * @param master the instance secret.
   * @param previous the secret keys were made with before PARASOL_SECRET_FILE was set (the in-database one), if it differs: boards made with it are moved over.
   */
  constructor(
    private readonly master: Buffer,
    private readonly previous: Buffer | null,
  ) {
    this.check = BoardKeys.checkOf(master);
    this.wrapKey = hkdf(master, 'review-board-wrap');
  }

  private static checkOf(master: Buffer): string {
    return hkdf(master, 'review-board-check', 16).toString('base64url');
  }

  /** The board's digest key (base64), as identifierDigest takes it. */
  keyFor(board: Pick<ReviewBoardDoc, 'id' | 'wrappedSecret'>): string {
    return this.rawKey(board, this.master, this.wrapKey).toString('base64');
  }

  /** The stored form of a key set by hand: bound to the board, so it cannot be moved to another. */
  wrap(boardId: string, key: Buffer): string {
    return BoardKeys.wrapWith(this.wrapKey, boardId, key);
  }

  private static wrapWith(wrapKey: Buffer, boardId: string, key: Buffer): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', wrapKey, iv).setAAD(Buffer.from(boardId));
    const sealed = Buffer.concat([cipher.update(key), cipher.final()]);
    return [WRAP_PREFIX, iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  private rawKey(board: Pick<ReviewBoardDoc, 'id' | 'wrappedSecret'>, master: Buffer, wrapKey: Buffer): Buffer {
    if (!board.wrappedSecret) return hkdf(master, `review-board-digest/${board.id}`);
    const [prefix, iv, sealed, tag] = board.wrappedSecret.split('.');
    if (prefix !== WRAP_PREFIX || !iv || !sealed || !tag) throw new BoardKeyError(`review board ${board.id}: its stored key is not in a known form`);
    const decipher = crypto.createDecipheriv('aes-256-gcm', wrapKey, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(board.id));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]);
  }

  /**
   * Run at start-up, before the boards are used: wraps keys stored in clear
   * by earlier versions, moves boards made under the in-database secret to
   * PARASOL_SECRET_FILE when it was just set, and refuses to start when a
   * board's key was made with a secret that is not there any more: every
   * look-up would silently find nothing.
   */
  async prepare(store: Store): Promise<void> {
    const boards = store.collection(reviewBoardsCollection);
    const previousCheck = this.previous ? BoardKeys.checkOf(this.previous) : null;
    for (const board of (await boards.find({ orderBy: { field: 'createdAt' }, limit: 1000 })).items) {
      const { secret, ...rest } = board;
      if (secret !== undefined) {
        const key = Buffer.from(secret, 'base64');
        const keepCheck = board.keyCheck ?? this.check;
        await boards.upsert({ ...rest, wrappedSecret: this.wrap(board.id, key), keyCheck: keepCheck });
        continue;
      }
      if (board.keyCheck === this.check) continue;
      if (board.keyCheck === undefined) {
        await boards.upsert({ ...rest, keyCheck: this.check });
      } else if (this.previous && board.keyCheck === previousCheck) {
        const key = this.rawKey(board, this.previous, hkdf(this.previous, 'review-board-wrap'));
        await boards.upsert({ ...rest, wrappedSecret: this.wrap(board.id, key), keyCheck: this.check });
      } else {
        throw new BoardKeyError(
          `The review board "${board.slug}" was keyed with another instance secret: PARASOL_SECRET_FILE is missing or changed since. Put the original secret file back (its digests cannot be matched without it).`,
        );
      }
    }
  }
}
