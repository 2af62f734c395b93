import type { AccountHooks } from '../accounts/account-hooks.js';
import type { MemberKey } from '../core/member-key.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { PulledNotice, PulledNotices } from '../notifications/notifications.service.js';
import type { Store } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import { conversationMessagesCollection, participantsCollection } from './conversations.collections.js';
import { ConversationAccess, conversationError } from './access.js';
import type { ConversationVaults } from './vault.js';
import type { ConversationRequests } from './requests.service.js';
import type { ConversationsService } from './conversations.service.js';
import type { ConversationPhotos } from './photos.js';

/** A conversation notice says no more than "You have a new message", whoever sent it. */
const MESSAGE_NOTICE = 'conversations.notice_message';
const REQUEST_NOTICE = 'conversations.notice_request';

/**
 * What happens to a member's conversations with their account: export (their own messages only), deletion
 * (found with their key: their seats and messages go, the others see them leave), and the notices the header
 * counts, worked out on each visit with the key (nothing stored tells an account it has a new message).
 */
export class ConversationAccountData implements PulledNotices {
  constructor(
    private readonly store: Store,
    private readonly vaults: ConversationVaults,
    private readonly requests: ConversationRequests,
    private readonly conversations: ConversationsService,
    private readonly photos: ConversationPhotos,
  ) {}

  register(hooks: AccountHooks): void {
    hooks.onUnlocked((accountId, key) => this.requests.ensureKey(accountId, key));
    hooks.onBlindedDeleted((key) => this.forget(key));
    hooks.onDeleted((tx, accountId) => this.requests.forgetAccountIn(tx, accountId));
    hooks.exporter('conversations', (_accountId, key) => (key ? this.export(key) : Promise.resolve(null)));
    hooks.onKeyInUse(async (key) => (await this.vaults.read(key)).conversations.length > 0);
  }

  /** The member's own messages, per conversation; never anything the others wrote. */
  async export(key: MemberKey): Promise<{ conversationId: string; messages: { body: string; createdAt: number }[] }[]> {
    const messages = this.store.collection(conversationMessagesCollection);
    const out: { conversationId: string; messages: { body: string; createdAt: number }[] }[] = [];
    for (const entry of (await this.vaults.read(key)).conversations) {
      const own: { body: string; createdAt: number }[] = [];
      await eachPage(
        (after) => messages.find({ where: { authorId: ConversationAccess.participantId(key, entry.id) }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        (m) => void own.push({ body: m.body, createdAt: m.createdAt }),
      );
      out.push({ conversationId: entry.id, messages: own });
    }
    return out;
  }

  /** Account deletion: the member's messages (with their photos) and seats go, in transactions of their own, then their vault. */
  async forget(key: MemberKey): Promise<void> {
    const messages = this.store.collection(conversationMessagesCollection);
    const participants = this.store.collection(participantsCollection);
    for (const entry of (await this.vaults.read(key)).conversations) {
      const seat = await participants.get(ConversationAccess.participantId(key, entry.id));
      const authorId = ConversationAccess.participantId(key, entry.id);
      const own = await this.conversations.messageIds({ authorId });
      await messages.deleteWhere({ authorId });
      await this.photos.remove(own);
      if (seat) await this.conversations.leaveSeat(key, entry.id, seat.id, seat.place);
    }
    await this.vaults.delete(key);
  }

  async pending(account: AccountDoc, key: MemberKey): Promise<PulledNotice[]> {
    if (account.status !== 'active') return [];
    const requests = await this.requests.waiting(account, key);
    const unread = await this.conversations.unreadConversations(key);
    return [
      ...requests.map((r) => ({ id: `r${r.id}`, kind: REQUEST_NOTICE, url: '/conversations', createdAt: r.createdAt })),
      ...unread.map((c) => ({ id: `c${c.id}`, kind: MESSAGE_NOTICE, url: `/conversations/${c.id}`, createdAt: c.at })),
    ];
  }

  /** Opening a notice leads to the conversation (which marks it read) or to the requests: nothing to store here. */
  async open(account: AccountDoc, key: MemberKey, id: string): Promise<PulledNotice> {
    const found = (await this.pending(account, key)).find((n) => n.id === id);
    if (!found) throw conversationError(404, 'notice_not_found');
    return found;
  }
}
