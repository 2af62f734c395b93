import webpush from 'web-push';
import { z } from 'zod';
import type { Store } from '../store/port.js';
import { defineCollection } from '../store/port.js';
import { newId } from '../crypto.js';
import { parseInput } from '../core/validate.js';
import { assertCallable, outboundFetch } from '../http/outbound.js';
import type { Logger } from '../logger.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import { pushSubscriptionsCollection, type PushSubscriptionDoc } from './safety.collections.js';

interface VapidDoc {
  id: 'vapid';
  publicKey: string;
  privateKey: string;
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
 */
export async function createPushService(store: Store, hooks: AccountHooks, logger: Logger, options: PushOptions) {
  const keys = store.collection(vapidCollection);
  const subs = store.collection(pushSubscriptionsCollection);
  let vapid = await keys.get('vapid');
  if (!vapid) {
    const generated = webpush.generateVAPIDKeys();
    vapid = { id: 'vapid', ...generated };
    await keys.upsert(vapid);
  }
  const subject = options.publicUrl.startsWith('https:') ? options.publicUrl : 'mailto:push@localhost.invalid';

  hooks.onDeleted(async (tx, accountId) => {
    await tx.collection(pushSubscriptionsCollection).deleteWhere({ accountId });
  });

  async function send(sub: PushSubscriptionDoc, payload: Record<string, string>): Promise<void> {
    await assertCallable(sub.endpoint, options.allowPrivateNetwork);
    const request = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, JSON.stringify(payload), {
      vapidDetails: { subject, publicKey: vapid!.publicKey, privateKey: vapid!.privateKey },
      TTL: 3600,
      urgency: 'high',
    });
    const response = await outboundFetch(
      request.endpoint,
      {
        method: request.method,
        headers: request.headers as Record<string, string>,
        body: request.body ? new Uint8Array(request.body) : null,
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      },
      options.allowPrivateNetwork,
    );
    // 404/410: the browser dropped the subscription; forget it.
    if (response.status === 404 || response.status === 410) await subs.delete(sub.id);
  }

  return {
    publicKey: (): string => vapid!.publicKey,

    async subscribe(accountId: string, raw: unknown): Promise<void> {
      const input = parseInput(pushSubscriptionInput, raw);
      await assertCallable(input.endpoint, options.allowPrivateNetwork);
      const existing = await subs.findOne({ endpoint: input.endpoint });
      if (existing) await subs.delete(existing.id);
      await subs.insert({ id: newId(), accountId, endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth, createdAt: Date.now() });
    },

    async unsubscribe(accountId: string, endpoint: string): Promise<void> {
      const existing = await subs.findOne({ endpoint });
      if (existing && existing.accountId === accountId) await subs.delete(existing.id);
    },

    /** Forgets every device of the account: after a compromise, a taken phone must stop waking up. */
    async unsubscribeAll(accountId: string): Promise<void> {
      await subs.deleteWhere({ accountId });
    },

    /** Pushes a neutral wake-up to every device of these members; failures are logged, never thrown. */
    async notify(accountIds: readonly string[], url: string): Promise<void> {
      for (const accountId of new Set(accountIds)) {
        const page = await subs.find({ where: { accountId }, orderBy: { field: 'createdAt' }, limit: 20 });
        for (const sub of page.items) {
          await send(sub, { url }).catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : 'push failed' }, 'web push failed'));
        }
      }
    },
  };
}

export type PushService = Awaited<ReturnType<typeof createPushService>>;
