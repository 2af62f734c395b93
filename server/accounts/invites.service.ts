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

export interface InvitesService {
  /** Makes a single-use code; only its keyed hash is stored. */
  create(createdBy: string, days: number): Promise<{ code: string; invite: InviteView }>;
  list(): Promise<InviteView[]>;
  revoke(id: string): Promise<void>;
  /** Spends a code inside the sign-up transaction; throws 422 when it is unknown, spent or expired. */
  redeem(tx: TxScope, code: string): Promise<void>;
}

const view = (doc: InviteDoc): InviteView => ({ id: doc.id, createdAt: doc.createdAt, expiresAt: doc.expiresAt });

export function createInvitesService(store: Store, instance: InstanceService): InvitesService {
  const invites = store.collection(invitesCollection);
  const hashOf = (code: string) => instance.keyedHash('invite', normaliseCode(code));
  return {
    async create(createdBy, days) {
      const code = humanCode(3, 4);
      const now = Date.now();
      const doc: InviteDoc = { id: newId(), hash: hashOf(code), createdBy, createdAt: now, expiresAt: now + days * 86_400_000 };
      await invites.insert(doc);
      return { code, invite: view(doc) };
    },
    async list() {
      const page = await invites.find({ orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200 });
      return page.items.map(view);
    },
    async revoke(id) {
      if (!(await invites.delete(id))) throw notFound('invite_not_found');
    },
    async redeem(tx, code) {
      const col = tx.collection(invitesCollection);
      const found = await col.findOne({ hash: hashOf(code) });
      if (!found) throw unprocessable('invite_invalid');
      // Spent invites are deleted rather than marked: nothing links a member to who invited them.
      await col.delete(found.id);
    },
  };
}
