import crypto from 'node:crypto';
import { z } from 'zod';
import { blindScope, type MemberKey } from '../core/member-key.js';
import { DuplicateKeyError, type Store } from '../store/port.js';
import { conversationVaultsCollection } from './conversations.collections.js';

/** Someone in a conversation, as the vault's owner knows them. */
export interface VaultPerson {
  readonly place: number;
  readonly accountId: string;
  readonly handle: string;
}

export interface VaultEntry {
  readonly id: string;
  /** The owner's own place. */
  readonly place: number;
  readonly people: readonly VaultPerson[];
}

export interface VaultContent {
  readonly conversations: readonly VaultEntry[];
  /** Accounts whose requests are dropped unseen. */
  readonly blocked: readonly string[];
}

const person = z.object({ place: z.number().int(), accountId: z.string(), handle: z.string() });
const content = z.object({
  conversations: z.array(z.object({ id: z.string(), place: z.number().int(), people: z.array(person) })),
  blocked: z.array(z.string()),
});

const EMPTY: VaultContent = { conversations: [], blocked: [] };
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Writes that lost a race are tried again this many times before the request fails. */
const ATTEMPTS = 5;

/**
 * Each member's list of conversations, the people in them and whom they blocked: one small document encrypted
 * (AES-256-GCM) under a key derived from their member key, stored under their blinded vault id. A copy of the
 * database shows that such lists exist and their sizes, never whose they are or what they hold.
 */
export class ConversationVaults {
  private readonly vaults;

  constructor(store: Store) {
    this.vaults = store.collection(conversationVaultsCollection);
  }

  static idOf(key: MemberKey): string {
    return key.blind(blindScope.conversationVault());
  }

  async read(key: MemberKey): Promise<VaultContent> {
    const doc = await this.vaults.get(ConversationVaults.idOf(key));
    return doc ? open(key, doc.id, doc.box) : EMPTY;
  }

  /** Applies `change` to the vault as it is now; a write that raced another is done again on the newer content. */
  async update(key: MemberKey, change: (vault: VaultContent) => VaultContent): Promise<VaultContent> {
    const id = ConversationVaults.idOf(key);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const doc = await this.vaults.get(id);
      const next = change(doc ? open(key, id, doc.box) : EMPTY);
      const box = close(key, id, next);
      if (!doc) {
        const inserted = await this.vaults.insert({ id, box, version: 1 }).then(
          () => true,
          (error: unknown) => {
            if (error instanceof DuplicateKeyError) return false;
            throw error;
          },
        );
        if (inserted) return next;
      } else if (await this.vaults.patchIf(id, { version: doc.version }, { box, version: doc.version + 1 })) {
        return next;
      }
    }
    throw new Error('the conversation list kept changing under this write');
  }

  async delete(key: MemberKey): Promise<void> {
    await this.vaults.delete(ConversationVaults.idOf(key));
  }
}

function vaultKey(key: MemberKey): Buffer {
  return key.derive('conversation-vault');
}

function close(key: MemberKey, id: string, value: VaultContent): string {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', vaultKey(key), nonce);
  cipher.setAAD(Buffer.from(id));
  const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64url');
}

/** A vault that does not open (a key replaced by an admin's reset) reads as empty: its content is out of reach anyway. */
function open(key: MemberKey, id: string, box: string): VaultContent {
  const bytes = Buffer.from(box, 'base64url');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', vaultKey(key), bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
    return content.parse(JSON.parse(plain.toString('utf8')));
  } catch {
    return EMPTY;
  }
}
