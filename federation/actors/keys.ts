import type { Apex, ApexObject } from '../apex-types.js';
import type { Iris } from '../iris.js';
import { originOf, text } from '../as.js';

export interface ResolvedKey {
  /** The actor that owns the key. */
  readonly owner: string;
  readonly publicKeyPem: string;
  /** Whether it came from the cache (a failed check then refetches it once, in case the key was rotated). */
  readonly cached: boolean;
  /** The owner's actor document, as stored (the inbox's later steps need it, and need not read it again). */
  readonly actor: ApexObject;
}

/**
 * Finds the public key an incoming signature names. Keys are read from the
 * actor documents apex caches; those come only from fetches of their own URL
 * (see apex.ts requestObject) or from activities of their own origin (see the
 * inbox's embedded-object rule), so a server can only ever speak for actors
 * on its own origin. A key and its owner must share the keyId's origin.
 */
export class KeyResolver {
  constructor(
    private readonly apex: Apex,
    private readonly iris: Iris,
  ) {}

  async resolve(keyId: string, refresh: boolean): Promise<ResolvedKey | null> {
    const origin = originOf(keyId);
    if (!origin || !/^https?:/.test(keyId) || this.iris.isLocal(keyId)) return null;
    const documentUrl = keyId.split('#')[0]!;
    let cached = false;
    let doc: ApexObject | null | undefined = refresh ? null : await this.apex.store.getObject(documentUrl);
    if (doc) cached = true;
    else doc = await this.apex.resolveObject(documentUrl, false, refresh);
    if (!doc || originOf(doc.id) !== origin) return null;

    const found = this.keyIn(doc, keyId);
    if (found) return originOf(found.owner) === origin ? { ...found, cached, actor: doc } : null;

    // A key published as its own document (Key / CryptographicKey) must be listed by its owner too.
    const pem = text(doc.publicKeyPem);
    const owner = text(doc.owner) ?? text(doc.controller);
    if (!pem || !owner || originOf(owner) !== origin) return null;
    const ownerDoc = await this.apex.resolveObject(owner, false, refresh);
    if (!ownerDoc || !this.keyIn(ownerDoc, keyId)) return null;
    return { owner, publicKeyPem: pem, cached, actor: ownerDoc };
  }

  private keyIn(actor: ApexObject, keyId: string): { owner: string; publicKeyPem: string } | null {
    const keys = Array.isArray(actor.publicKey) ? (actor.publicKey as ApexObject[]) : [];
    for (const key of keys) {
      if (!key || typeof key !== 'object' || key.id !== keyId) continue;
      const pem = text(key.publicKeyPem);
      const owner = text(key.owner) ?? actor.id;
      if (pem && owner === actor.id) return { owner, publicKeyPem: pem };
    }
    return null;
  }
}
