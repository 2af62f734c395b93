import type { Store } from '../store/port.js';
import type { Clock } from '../core/clock.js';
import type { Limiter } from '../core/rate-limit.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import type { Realtime } from '../realtime/realtime.js';
import type { I18n } from '../i18n/i18n.js';
import type { Logger } from '../logger.js';
import type { MediaService } from '../media/media.service.js';
import { ConversationAccess } from './access.js';
import { ConversationVaults } from './vault.js';
import { ConversationRequests, type Buddies } from './requests.service.js';
import { ConversationsService } from './conversations.service.js';
import { ConversationReports } from './reports.service.js';
import { ConversationAccountData } from './account-data.js';
import { deferredConversationsLive } from './conversations.live.js';
import { conversationsRealtime } from './conversations.socket.js';
import { conversationPhotos } from './photos.js';

export { conversationsCollections } from './conversations.collections.js';
export { conversationsApi } from './conversations.api.js';
export { conversationsPages } from './conversations.pages.js';

export interface ConversationServices {
  readonly requests: ConversationRequests;
  readonly conversations: ConversationsService;
  readonly reports: ConversationReports;
  /** Starts live delivery once the HTTP server (and so socket.io) exists. */
  attach(realtime: Realtime, options: { i18n: I18n; logger: Logger; eventLimit: Limiter }): void;
}

export interface ConversationModuleDeps {
  readonly store: Store;
  readonly accounts: AccountsService;
  readonly buddies: Buddies;
  readonly moderation: ModerationService;
  readonly notifications: NotificationsService;
  readonly hooks: AccountHooks;
  /** Photos of messages, stored under each message's id (and reports' copies of them). */
  readonly media: MediaService;
  readonly clock: Clock;
  readonly messageLimit: Limiter;
  readonly startLimit: Limiter;
}

/** Builds the private conversations module and plugs it into account hooks and the notification count. */
export function createConversations(deps: ConversationModuleDeps): ConversationServices {
  const { store, clock } = deps;
  const live = deferredConversationsLive();
  const access = new ConversationAccess(store);
  const vaults = new ConversationVaults(store);
  const photos = conversationPhotos(deps.media);
  const requests = new ConversationRequests({ store, accounts: deps.accounts, buddies: deps.buddies, vaults, access, live, startLimit: deps.startLimit, clock });
  const conversations = new ConversationsService({ store, accounts: deps.accounts, vaults, access, live, photos, messageLimit: deps.messageLimit, clock });
  const reports = new ConversationReports({ store, access, conversations, photos, moderation: deps.moderation, accounts: deps.accounts });
  const data = new ConversationAccountData(store, vaults, requests, conversations, photos);
  data.register(deps.hooks);
  deps.notifications.pullFrom('conversation', data);
  return {
    requests,
    conversations,
    reports,
    attach(realtime, options) {
      live.attach(conversationsRealtime(realtime.namespace('/conversations', { requireAccount: true }), { access, conversations, ...options }));
    },
  };
}
