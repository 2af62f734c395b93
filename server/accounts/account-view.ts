import type { AccountDoc, Role } from './accounts.collections.js';

export interface AccountView {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
  readonly role: Role;
  readonly status: 'active' | 'pending';
  readonly locale: string | null;
  readonly createdAt: number;
}

export interface PendingView {
  readonly id: string;
  readonly handle: string;
  readonly answer: string;
  readonly createdAt: number;
}

export const accountView = (a: AccountDoc): AccountView => ({
  id: a.id,
  handle: a.handle,
  displayName: a.displayName,
  role: a.role,
  status: a.status === 'pending' ? 'pending' : 'active',
  locale: a.locale,
  createdAt: a.createdAt,
});
