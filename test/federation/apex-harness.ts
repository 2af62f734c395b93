import { createApex } from '../../federation/apex.js';
import { apexCollections } from '../../federation/apex.collections.js';
import { PortApexStore } from '../../federation/apex-store.js';
import type { Apex } from '../../federation/apex-types.js';
import { Iris } from '../../federation/iris.js';
import { DeliveryQueue } from '../../federation/outbound/delivery-queue.js';
import { createLogger } from '../../server/logger.js';
import type { Store } from '../../server/store/port.js';
import { openSqliteStore } from '../../server/store/sqlite.adapter.js';

/** apex on an in-memory store, without HTTP, for tests of how it reads and writes documents. */
export async function openTestApex(base: string): Promise<{ store: Store; apexStore: PortApexStore; apex: Apex }> {
  const store = await openSqliteStore({ path: ':memory:' });
  await store.declare(apexCollections);
  const apexStore = new PortApexStore(store, new DeliveryQueue(store, { deliveryMaxAgeMs: 3_600_000, retryBaseMs: 1000 }));
  await apexStore.setup();
  const apex = createApex({
    iris: new Iris(base),
    store: apexStore,
    logger: createLogger('silent'),
    version: '0.0.0',
    outbound: { allowPrivateNetwork: false, timeoutMs: 1000, userAgent: 'test' },
    instanceSigner: async () => null,
    onQueued: () => undefined,
  });
  return { store, apexStore, apex };
}
