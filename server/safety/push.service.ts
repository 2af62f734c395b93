import crypto from 'node:crypto';
import { z } from 'zod';
import { defineCollection, type Store } from '../store/port.js';
import { storeOnce } from '../store/store-once.js';
import { newId } from '../crypto.js';
import { parseInput } from '../core/validate.js';
import { KeptCopy } from '../core/kept-copy.js';
import { assertCallable, outboundFetch } from '../http/outbound.js';
import type { Logger } from '../logger.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import { pushSubscriptionsCollection, type PushSubscriptionDoc } from './safety.collections.js';

interface VapidDoc {
  id: 'vapid';
  publicKey: string;
  privateKey: string;
}

/** web-push (with its JWT and ASN.1 modules) is loaded when the first push is sent, not at start. */
const webPush = async () => (await import('web-push')).default;

/**
 * A VAPID key pair as web-push's generateVAPIDKeys makes it: P-256, the raw public key (65 bytes, uncompressed) and
 * private key (32 bytes, zero-padded) in base64url. Made here, so that a first start does not load web-push for it.
 */
function vapidKeyPair(): { publicKey: string; privateKey: string } {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  const privateKey = ecdh.getPrivateKey();
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: Buffer.concat([Buffer.alloc(Math.max(0, 32 - privateKey.length)), privateKey]).toString('base64url'),
  };
}

/**
 * web-push's headers as fetch takes them: values as strings, and no Content-Length, which fetch sets from the body
 * (a number there is refused by newer undici).
 */
function fetchHeaders(headers: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length').map(([name, value]) => [name, String(value)]));
}

/** The instance's own VAPID key pair, made on first start: no third-party push account is involved. */
export const vapidCollection = defineCollection<VapidDoc>({ name: 'push_keys', fields: {}, indexes: [] });

export const pushSubscriptionInput = z.strictObject({
  endpoint: z.string().url().max(1000),
  keys: z.strictObject({ p256dh: z.string().min(20).max(200), auth: z.string().min(8).max(100) }),
});

export interface PushOptions {
  readonly publicUrl: string;
  /** Only tests: their push receiver listens on 127.0.0.1 over plain http. */
  readonly allowPrivateNetwork: boolean;
}

/**
 * Web Push for alerts on a locked phone. Payloads are neutral ("open the
 * app"), never the alert itself: push services and lock screens see nothing.
 * `load()` reads the instance's key pair (making it on first start) before first use. Every process must sign
 * with the key pair browsers subscribed with: processes starting together keep the one stored first, and one
 * that another process replaced is read again before it is used (core/kept-copy.ts).
 */
export class PushService {
  private readonly keys;
  private readonly subs;
  private readonly subject: string;
  private vapid: VapidDoc | null = null;
  private readonly kept = new KeptCopy([vapidCollection.name], async () => {
    this.vapid = await this.keys.get('vapid');
  });

  constructor(
    store: Store,
    hooks: AccountHooks,
    private readonly logger: Logger,
    private readonly options: PushOptions,
  ) {
    this.keys = store.collection(vapidCollection);
    this.subs = store.collection(pushSubscriptionsCollection);
    this.subject = options.publicUrl.startsWith('https:') ? options.publicUrl : 'mailto:push@localhost.invalid';
    hooks.onDeleted(async (tx, accountId) => {
      await tx.collection(pushSubscriptionsCollection).deleteWhere({ accountId });
    });
  }

  async load(): Promise<this> {
    await storeOnce(this.keys, 'vapid', () => ({ id: 'vapid' as const, ...vapidKeyPair() }));
    await this.kept.reread();
    return this;
  }

  async publicKey(): Promise<string> {
    return (await this.keyPair()).publicKey;
  }

  async subscribe(accountId: string, raw: unknown): Promise<void> {
    const input = parseInput(pushSubscriptionInput, raw);
    await assertCallable(input.endpoint, this.options.allowPrivateNetwork);
    const existing = await this.subs.findOne({ endpoint: input.endpoint });
    if (existing) await this.subs.delete(existing.id);
    await this.subs.insert({ id: newId(), accountId, endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth, createdAt: Date.now() });
  }

  async unsubscribe(accountId: string, endpoint: string): Promise<void> {
    const existing = await this.subs.findOne({ endpoint });
    if (existing && existing.accountId === accountId) await this.subs.delete(existing.id);
  }

  /** Forgets every device of the account: after a compromise, a taken phone must stop waking up. */
  async unsubscribeAll(accountId: string): Promise<void> {
    await this.subs.deleteWhere({ accountId });
  }

  /** Pushes a neutral wake-up to every device of these members; failures are logged, never thrown. */
  async notify(accountIds: readonly string[], url: string): Promise<void> {
    for (const accountId of new Set(accountIds)) {
      const page = await this.subs.find({ where: { accountId }, orderBy: { field: 'createdAt' }, limit: 20 });
      for (const sub of page.items) {
        await this.send(sub, { url }).catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : 'push failed' }, 'web push failed'));
      }
    }
  }

  private async keyPair(): Promise<VapidDoc> {
    await this.kept.current();
    if (!this.vapid) throw new Error('PushService used before load()');
    return this.vapid;
  }

  private async send(sub: PushSubscriptionDoc, payload: Record<string, string>): Promise<void> {
    const { allowPrivateNetwork } = this.options;
    await assertCallable(sub.endpoint, allowPrivateNetwork);
    const { publicKey, privateKey } = await this.keyPair();
    const request = (await webPush()).generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, JSON.stringify(payload), {
      vapidDetails: { subject: this.subject, publicKey, privateKey },
      TTL: 3600,
      urgency: 'high',
    });
    const response = await outboundFetch(
      request.endpoint,
      {
        method: request.method,
        headers: fetchHeaders(request.headers),
        body: request.body ? new Uint8Array(request.body) : null,
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      },
      allowPrivateNetwork,
    );
    // 404/410: the browser dropped the subscription; forget it.
    if (response.status === 404 || response.status === 410) await this.subs.delete(sub.id);
  }
}
