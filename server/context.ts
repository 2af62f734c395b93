import type { Request } from 'express';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Store } from './store/port.js';
import type { I18n } from './i18n/i18n.js';
import type { InstanceService } from './instance/instance.service.js';
import type { AccountsService } from './accounts/accounts.service.js';
import type { SessionsService } from './accounts/sessions.service.js';
import type { InvitesService } from './accounts/invites.service.js';
import type { AccountHooks } from './accounts/account-hooks.js';
import type { CookieOptions } from './http/auth.middleware.js';
import type { PageContext } from './views/layout.js';
import type { ForumServices } from './forums/forum-services.js';
import type { ModerationService } from './moderation/moderation.service.js';
import type { ModerationQueueService } from './moderation/queue.service.js';
import type { AreasService } from './areas/areas.service.js';
import type { NotificationsService } from './notifications/notifications.service.js';
import type { ReviewsService } from './reviews/reviews.service.js';
import type { PartnerSharingService } from './reviews/partner-sharing.service.js';
import type { PushService } from './safety/push.service.js';
import type { SafetyService } from './safety/safety.service.js';
import type { IncidentsService } from './safety/incidents.service.js';
import type { RoomServices } from './rooms/rooms.service.js';
import type { ConversationServices } from './conversations/conversations.module.js';
import type { RightsService } from './rights/rights.service.js';
import type { BackupService } from './backup/backup.service.js';
import type { BackgroundJobs } from './jobs/background-jobs.js';
import type { LimitCounters } from './core/rate-limit.js';
import type { KeptAnswers } from './http/kept-answers.js';
import type { MediaService } from './media/media.service.js';

/** What the modules of one running instance share. Built once in app.ts. */
export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly i18n: I18n;
  readonly instance: InstanceService;
  readonly accounts: AccountsService;
  readonly sessions: SessionsService;
  readonly invites: InvitesService;
  readonly hooks: AccountHooks;
  readonly moderation: ModerationService;
  readonly moderationQueue: ModerationQueueService;
  readonly forums: ForumServices;
  readonly areas: AreasService;
  readonly notifications: NotificationsService;
  readonly reviews: ReviewsService;
  /** Reviews shared with partner instances of a regional network (federation/network.ts carries them). */
  readonly reviewSharing: PartnerSharingService;
  readonly push: PushService;
  readonly safety: SafetyService;
  readonly incidents: IncidentsService;
  readonly rooms: RoomServices;
  readonly conversations: ConversationServices;
  readonly rights: RightsService;
  readonly backups: BackupService;
  /** Photos of posts, warnings, room messages, check-ins and incident reports (server/media). */
  readonly media: MediaService;
  /** Timed and waiting work (scans, sweeps, deliveries), each run by the one process holding its lease. */
  readonly jobs: BackgroundJobs;
  /** Where rate-limit counts are kept (core/rate-limit.ts): shared by every process of the instance. */
  readonly limits: LimitCounters;
  /** Answers a visitor's already-made pages and thread JSON before the middleware; the forum adds its routes. */
  readonly keptAnswers: KeptAnswers;
  readonly cookie: CookieOptions;
  page(req: Request): PageContext;
  /** Starter boards and placeholders that nobody has changed are rewritten in `locale` (the admin's choice at setup). */
  relabelStarterContent(locale: string): Promise<void>;
}
