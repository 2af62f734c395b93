import type { Store, TxScope } from '../store/port.js';
import { humanCode, newId, normaliseCode } from '../crypto.js';
import { notFound, unprocessable } from '../core/errors.js';
import type { InstanceService } from '../instance/instance.service.js';
import { invitesCollection, type InviteDoc } from './accounts.collections.js';

export interface InviteView {
  readonly id: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

const view = (doc: InviteDoc): InviteView => ({ id: doc.id, createdAt: doc.createdAt, expiresAt: doc.expiresAt });

/** Invitation codes for invite-only registration. */
export class InvitesService {
  private readonly invites;

  constructor(
    store: Store,
    private readonly instance: InstanceService,
  ) {
    this.invites = store.collection(invitesCollection);
  }

  /** Makes a single-use code; only its keyed hash is stored. */
  async create(createdBy: string, days: number): Promise<{ code: string; invite: InviteView }> {
    const code = humanCode(3, 4);
    const now = Date.now();
    const doc: InviteDoc = { id: newId(), hash: this.hashOf(code), createdBy, createdAt: now, expiresAt: now + days * 86_400_000 };
    await this.invites.insert(doc);
    return { code, invite: view(doc) };
  }

  async list(): Promise<InviteView[]> {
    const page = await this.invites.find({ orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200 });
    return page.items.map(view);
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.invites.delete(id))) throw notFound('invite_not_found');
  }

  /** Spends a code inside the sign-up transaction; throws 422 when it is unknown, spent or expired. */
  async redeem(tx: TxScope, code: string): Promise<void> {
    const col = tx.collection(invitesCollection);
    const found = await col.findOne({ hash: this.hashOf(code) });
    if (!found) throw unprocessable('invite_invalid');
    // Spent invites are deleted rather than marked: nothing links a member to who invited them.
    await col.delete(found.id);
  }

  private hashOf(code: string): string {
    return this.instance.keyedHash('invite', normaliseCode(code));
  }
}
