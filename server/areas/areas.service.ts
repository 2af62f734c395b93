import { z } from 'zod';
import type { Store } from '../store/port.js';
import { allItems } from '../store/paging.js';
import { newId } from '../crypto.js';
import { forbidden, notFound, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { KeptCopy } from '../core/kept-copy.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import { isAdmin } from '../accounts/accounts.service.js';
import { areaSubscriptionsCollection, areasCollection, type AreaDoc } from './areas.collections.js';

export const areaInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  position: z.number().int().min(0).max(10_000).optional(),
});

export const subscriptionsInput = z.strictObject({ areaIds: z.array(z.string().min(1).max(64)).max(100) });

export interface AreaView {
  readonly id: string;
  readonly name: string;
  readonly position: number;
}

const view = (a: AreaDoc): AreaView => ({ id: a.id, name: a.name, position: a.position });

/**
 * The instance's coarse areas (admin-defined) and who wants urgent news about which. The areas are held in memory
 * (read on every form): `load()` reads them before first use, and `refresh()`, before each request, again after
 * another process changed them. Who subscribed to what is read from the store each time.
 */
export class AreasService {
  private readonly areas;
  private readonly subs;
  private cache: AreaDoc[] = [];
  private readonly kept = new KeptCopy([areasCollection.name], async () => {
    this.cache = (await this.areas.find({ orderBy: { field: 'position' }, limit: 1000 })).items;
  });

  constructor(
    private readonly store: Store,
    hooks: AccountHooks,
  ) {
    this.areas = store.collection(areasCollection);
    this.subs = store.collection(areaSubscriptionsCollection);
    hooks.onDeleted(async (tx, accountId) => {
      await tx.collection(areaSubscriptionsCollection).deleteWhere({ accountId });
    });
  }

  async load(): Promise<this> {
    await this.kept.reread();
    return this;
  }

  /** Reads the areas again when another process changed them; costs nothing while none did. */
  refresh(): Promise<void> {
    return this.kept.current();
  }

  list(): AreaView[] {
    return this.cache.map(view);
  }

  get(id: string): AreaView | null {
    const found = this.cache.find((a) => a.id === id);
    return found ? view(found) : null;
  }

  /** Throws a clear 422 naming the field when the id is not an area of this instance. */
  mustExist(id: string, field = 'area'): AreaView {
    const found = this.cache.find((a) => a.id === id);
    if (!found) throw unprocessable('unknown_area', { field });
    return view(found);
  }

  async create(actor: AccountDoc, raw: unknown): Promise<AreaView> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    const input = parseInput(areaInput, raw);
    const doc: AreaDoc = { id: newId(), name: input.name, position: input.position ?? (this.cache.at(-1)?.position ?? 0) + 10, createdAt: Date.now() };
    await this.areas.insert(doc);
    await this.load();
    return view(doc);
  }

  async rename(actor: AccountDoc, id: string, raw: unknown): Promise<AreaView> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    const input = parseInput(areaInput, raw);
    const updated = await this.areas.patch(id, { name: input.name, ...(input.position !== undefined ? { position: input.position } : {}) });
    if (!updated) throw notFound('area_not_found');
    await this.load();
    return view(updated);
  }

  async remove(actor: AccountDoc, id: string): Promise<void> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    await this.store.transaction(async (tx) => {
      if (!(await tx.collection(areasCollection).delete(id))) throw notFound('area_not_found');
      await tx.collection(areaSubscriptionsCollection).deleteWhere({ areaId: id });
    });
    await this.load();
  }

  async subscriptions(accountId: string): Promise<string[]> {
    return (await this.subs.find({ where: { accountId }, orderBy: { field: 'createdAt' }, limit: 1000 })).items.map((s) => s.areaId);
  }

  /** Replaces the areas a member wants urgent warnings for. */
  async setSubscriptions(account: AccountDoc, raw: unknown): Promise<string[]> {
    const { areaIds } = parseInput(subscriptionsInput, raw);
    const wanted = [...new Set(areaIds)];
    for (const id of wanted) this.mustExist(id, 'areaIds');
    await this.store.transaction(async (tx) => {
      const col = tx.collection(areaSubscriptionsCollection);
      await col.deleteWhere({ accountId: account.id });
      for (const areaId of wanted) await col.insert({ id: `${account.id}.${areaId}`, accountId: account.id, areaId, createdAt: Date.now() });
    });
    return wanted;
  }

  /** Everyone who asked for urgent warnings in an area. */
  async subscribers(areaId: string): Promise<string[]> {
    const subscriptions = await allItems((after) => this.subs.find({ where: { areaId }, orderBy: { field: 'createdAt' }, limit: 500, after }));
    return subscriptions.map((s) => s.accountId);
  }
}
