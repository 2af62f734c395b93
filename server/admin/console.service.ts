import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { InstanceService, InstanceSettings } from '../instance/instance.service.js';
import { starterBoards, type BoardsService } from '../forums/boards.service.js';
import type { BoardView } from '../forums/forum-views.js';
import type { ReviewsService } from '../reviews/reviews.service.js';
import type { ReviewBoardView } from '../reviews/review-views.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { DirectoryEntry } from '../rooms/view-models.js';
import type { RightsPageSummary, RightsService } from '../rights/rights.service.js';
import type { BackupService } from '../backup/backup.service.js';
import type { BackgroundJobs } from '../jobs/background-jobs.js';
import { mustBeAdmin } from './members.service.js';
import { consoleError } from './console-errors.js';
import { parasolVersion, type DiskSpace, type SystemFacts } from './system-facts.js';

/** What federation tells the console (federation/index.ts answers it; null when federation is off). */
export interface FederationFacts {
  readonly mode: string;
  readonly denyRules: number;
  readonly allowRules: number;
  readonly partners: readonly { readonly domain: string; readonly addedAt: number }[];
  readonly follows: number;
  readonly pendingDeliveries: number;
}

export type StepId = 'name' | 'languages' | 'country' | 'registration' | 'boards' | 'rooms' | 'rights' | 'partners' | 'backups';

export interface ChecklistStep {
  readonly id: StepId;
  readonly done: boolean;
  /** The page (and place on it) where the step is done. */
  readonly href: string;
}

export interface ConsoleDeps {
  readonly instance: InstanceService;
  readonly boards: BoardsService;
  readonly reviews: ReviewsService;
  readonly rooms: RoomsService;
  readonly rights: RightsService;
  readonly backups: BackupService;
  readonly jobs: BackgroundJobs;
  readonly system: SystemFacts;
  /** How many photos are stored and what their files take in the database (server/media). */
  readonly photoStorage: () => Promise<{ photos: number; bytes: number }>;
  readonly engine: 'sqlite' | 'postgres' | 'mongodb';
  readonly databaseEncrypted: boolean;
  readonly secretOutside: boolean;
  readonly locales: readonly string[];
  /** Passphrase checks running and waiting (accounts/verify-queue.ts). */
  readonly passphraseChecks: () => { readonly running: number; readonly waiting: number };
  readonly federation: (() => Promise<FederationFacts>) | null;
  readonly now?: () => number;
}

/** A backup older than this no longer counts as done: the checklist asks for a fresh one. */
export const BACKUP_FRESH_DAYS = 7;
/** Settings a fresh instance starts with, which the admin has not chosen yet. */
const FRESH_NAME = 'Parasol';
const FRESH_COUNTRY = 'US';

/** The command that makes a backup, the same in every language; for PostgreSQL and MongoDB, what docs/deployment.md and the README say. */
export const BACKUP_COMMANDS = {
  sqlite: 'npm run cli -- backup FILE --recipient AGE_PUBLIC_KEY',
  postgres: 'pg_dump -Fc parasol | age -r AGE_PUBLIC_KEY > FILE',
  mongodb: 'mongodump --archive | age -r AGE_PUBLIC_KEY > FILE',
} as const;

/**
 * The country the admin chose for phone numbers: the instance's `country` setting where the instance has one,
 * else its default country once changed from what a fresh instance starts with.
 */
function chosenCountry(settings: InstanceSettings): string | null {
  if ('country' in settings) return typeof settings.country === 'string' && settings.country !== '' ? settings.country : null;
  return settings.defaultCountry !== FRESH_COUNTRY ? settings.defaultCountry : null;
}

/**
 * The admin console's view of the instance: the first-steps checklist, computed from the state of each module, and
 * what each section shows (boards, rooms, rights, federation, storage, health). Every call is for admins alone.
 */
export class AdminConsole {
  constructor(private readonly deps: ConsoleDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async checklist(actor: AccountDoc, locale: string): Promise<ChecklistStep[]> {
    mustBeAdmin(actor);
    const settings = this.deps.instance.settings();
    const starters = new Set<string>(starterBoards.map((b) => b.slug));
    const [boards, rooms, pages, backup, federation] = await Promise.all([
      this.deps.boards.allBoards(),
      this.deps.rooms.count(),
      this.deps.rights.listPages(this.pageLocale(locale)),
      this.deps.backups.status(),
      this.deps.federation ? this.deps.federation() : Promise.resolve(null),
    ]);
    const backupAge = backup.lastBackupDay ? this.now() - Date.parse(`${backup.lastBackupDay}T00:00:00Z`) : Infinity;
    return [
      { id: 'name', done: settings.name !== FRESH_NAME, href: '/admin#f-name' },
      { id: 'languages', done: settings.offeredLocales.length > 0 || settings.defaultLocale !== null, href: '/admin#languages' },
      { id: 'country', done: chosenCountry(settings) !== null, href: 'country' in settings ? '/admin#f-country' : '/admin#settings' },
      { id: 'registration', done: settings.registrationMode !== 'open', href: '/admin#registration' },
      { id: 'boards', done: boards.some((b) => !starters.has(b.slug)), href: '/admin/boards' },
      { id: 'rooms', done: rooms > 0, href: '/admin/rooms' },
      { id: 'rights', done: pages.some((p) => !p.placeholder), href: '/admin/rights' },
      { id: 'partners', done: (federation?.partners.length ?? 0) > 0, href: federation ? '/admin/federation#partners' : '/admin/network' },
      { id: 'backups', done: backupAge <= (BACKUP_FRESH_DAYS + 1) * 86_400_000, href: '/admin/storage' },
    ];
  }

  /** Forum boards (archived ones too) with their own moderators, and the review boards; a partner board shares its key. */
  async boards(actor: AccountDoc): Promise<{ boards: (BoardView & { moderators: string[] })[]; reviewBoards: (ReviewBoardView & { partner: boolean })[] }> {
    mustBeAdmin(actor);
    const boards = await this.deps.boards.listBoards(actor);
    return {
      boards: await Promise.all(boards.map(async (b) => ({ ...b, moderators: await this.deps.boards.moderatorHandles(b.id) }))),
      reviewBoards: (await this.deps.reviews.listBoards(actor)).map((b) => ({ ...b, partner: b.visibility === 'network' })),
    };
  }

  /** The key a partner review board shares with the partner instances (digests match across the network only with it). */
  async partnerSecret(actor: AccountDoc, slug: string): Promise<{ board: ReviewBoardView; secret: string }> {
    mustBeAdmin(actor);
    const board = await this.deps.reviews.getBoard(actor, slug);
    if (board.visibility !== 'network') throw consoleError(409, 'not_partner_board');
    return { board, secret: await this.deps.reviews.boardSecret(actor, board.slug) };
  }

  /** Rooms are private: the console counts them all and names only those their facilitators list in the directory. */
  async rooms(actor: AccountDoc): Promise<{ total: number; listed: DirectoryEntry[] }> {
    mustBeAdmin(actor);
    const [total, directory] = await Promise.all([this.deps.rooms.count(), this.deps.rooms.directory({})]);
    return { total, listed: directory.rooms };
  }

  async rights(actor: AccountDoc, locale: string): Promise<{ pages: RightsPageSummary[]; resources: number }> {
    mustBeAdmin(actor);
    const [pages, resources] = await Promise.all([this.deps.rights.listPages(this.pageLocale(locale)), this.deps.rights.listResources({})]);
    return { pages, resources: resources.length };
  }

  async federation(actor: AccountDoc): Promise<FederationFacts | null> {
    mustBeAdmin(actor);
    return this.deps.federation ? this.deps.federation() : null;
  }

  async storage(actor: AccountDoc): Promise<{
    engine: ConsoleDeps['engine'];
    databaseBytes: number | null;
    dataDirectory: { bytes: number; complete: boolean } | null;
    lastBackupDay: string | null;
    backupCommand: string;
    databaseEncrypted: boolean;
    secretOutside: boolean;
    photoStorage: { photos: number; bytes: number };
  }> {
    mustBeAdmin(actor);
    const [databaseBytes, dataDirectory, backup, photoStorage] = await Promise.all([
      this.deps.system.databaseBytes(),
      this.deps.system.dataDirectoryBytes(),
      this.deps.backups.status(),
      this.deps.photoStorage(),
    ]);
    return {
      engine: this.deps.engine,
      databaseBytes,
      dataDirectory,
      lastBackupDay: backup.lastBackupDay,
      backupCommand: BACKUP_COMMANDS[this.deps.engine],
      databaseEncrypted: this.deps.databaseEncrypted,
      secretOutside: this.deps.secretOutside,
      photoStorage,
    };
  }

  async health(actor: AccountDoc): Promise<{
    version: string;
    engine: ConsoleDeps['engine'];
    jobs: ReturnType<BackgroundJobs['status']>;
    queues: { passphraseChecks: { running: number; waiting: number }; pendingDeliveries: number | null };
    disk: DiskSpace | null;
  }> {
    mustBeAdmin(actor);
    const [federation, disk] = await Promise.all([this.deps.federation ? this.deps.federation() : Promise.resolve(null), this.deps.system.disk()]);
    return {
      version: parasolVersion,
      engine: this.deps.engine,
      jobs: this.deps.jobs.status(),
      queues: { passphraseChecks: this.deps.passphraseChecks(), pendingDeliveries: federation?.pendingDeliveries ?? null },
      disk,
    };
  }

  /** Rights pages are listed in the admin's language when the instance has it, else in the default language. */
  private pageLocale(locale: string): string {
    return this.deps.locales.includes(locale) ? locale : (this.deps.locales[0] ?? locale);
  }
}
