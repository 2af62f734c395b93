import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CHECKPOINT_DELAY_MS } from './store/scrub-checkpoint.js';
import { loadSecretSettings, secretEnvSchema, SecretSettingsError, type SecretSettings } from './secret-settings.js';

/**
 * Configuration comes only from environment variables, validated once at
 * start-up: a bad value stops the process with the variable's name and the
 * problem instead of surfacing later as a strange runtime error.
 */
const boolFromEnv = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * The weakest argon2id settings a production instance may run with or accept
 * in a stored hash (OWASP's minimum for passphrases; the review digests are
 * dearer because a seized database is searched for known numbers offline).
 * Tests go lower with NODE_ENV=test, which nothing in production sets.
 */
export const hashingFloor = {
  passphrase: { memoryKiB: 19_456, iterations: 2 },
  reviewDigest: { memoryKiB: 65_536, iterations: 3 },
} as const;

/** argon2's own minimum (8 KiB per lane, one pass): the floor under NODE_ENV=test. */
const testHashingFloor = { memoryKiB: 8, iterations: 1 } as const;

/** scrypt's cost (log2 N) for backups encrypted with a passphrase: age's own default, the floor outside NODE_ENV=test. */
export const backupScryptFloor = 18;

const floorChecks = [
  ['ARGON2_MEMORY_KIB', hashingFloor.passphrase.memoryKiB],
  ['ARGON2_ITERATIONS', hashingFloor.passphrase.iterations],
  ['REVIEW_HASH_MEMORY_KIB', hashingFloor.reviewDigest.memoryKiB],
  ['REVIEW_HASH_ITERATIONS', hashingFloor.reviewDigest.iterations],
  ['BACKUP_SCRYPT_LOG_N', backupScryptFloor],
] as const;

const baseEnvSchema = z.object({
  // Not coerced: PORT= (empty) would read as 0, a random port that nobody could find.
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number from 0 to 65535 (unset, the port is 8080)')
    .transform(Number)
    .pipe(z.number().max(65535, 'must be a port number from 0 to 65535 (unset, the port is 8080)'))
    .default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+|mongodb(\+srv)?:\/\/.+)$/, 'must be sqlite:PATH, postgres://…, mongodb://… or mongodb+srv://…')
    .optional(),
  NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEFAULT_LOCALE: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or zh-Hans').default('en'),
  TRUST_PROXY: boolFromEnv.default(false),
  SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  SCRUB_CHECKPOINT_MS: z.coerce.number().int().min(0).max(60_000).default(CHECKPOINT_DELAY_MS),
  JOB_LEASE_SECONDS: z.coerce.number().int().min(2).max(600).default(30),
  SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(testHashingFloor.memoryKiB).max(1_048_576).default(hashingFloor.passphrase.memoryKiB),
  ARGON2_ITERATIONS: z.coerce.number().int().min(testHashingFloor.iterations).max(20).default(hashingFloor.passphrase.iterations),
  REVIEW_LIFETIME_DAYS: z.coerce.number().int().min(7).max(3650).default(365),
  REVIEWS_PER_DAY: z.coerce.number().int().min(1).max(100).default(5),
  REVIEW_HASH_MEMORY_KIB: z.coerce.number().int().min(testHashingFloor.memoryKiB).max(1_048_576).default(hashingFloor.reviewDigest.memoryKiB),
  REVIEW_HASH_ITERATIONS: z.coerce.number().int().min(testHashingFloor.iterations).max(20).default(hashingFloor.reviewDigest.iterations),
  // Tests encrypt and decrypt backups at a cost far below age's (seconds of CPU for each, in every process that does).
  BACKUP_SCRYPT_LOG_N: z.coerce.number().int().min(1).max(20).default(backupScryptFloor),
  CHECKIN_GRACE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  CHECKIN_RETENTION_HOURS: z.coerce.number().int().min(1).max(8760).default(72),
  CHECKIN_SCAN_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  INCIDENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  ALLOW_PRIVATE_NETWORK: boolFromEnv.default(false),
  FEDERATION: boolFromEnv.default(true),
  FEDERATION_USER_COUNTS: boolFromEnv.default(true),
  FEDERATION_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  FEDERATION_DELIVERY_HOURS: z.coerce.number().int().min(1).max(168).default(48),
  FEDERATION_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  FEDERATION_INBOX_PER_HOST_PER_MINUTE: z.coerce.number().int().min(10).max(1_000_000).default(6000),
  LOGIN_POW_BITS: z.coerce.number().int().min(1).max(28).default(16),
  LOGIN_WAIT_SECONDS: z.coerce.number().int().min(1).max(100).default(30),
  PASSPHRASE_CHECKS_AT_ONCE: z.coerce.number().int().min(1).max(64).default(2),
  PASSPHRASE_CHECKS_WAITING: z.coerce.number().int().min(1).max(10_000).default(64),
  PHOTOS_PER_MEMBER_PER_DAY: z.coerce.number().int().min(0).max(10_000).default(40),
  PHOTOS_PER_INSTANCE_PER_DAY: z.coerce.number().int().min(0).max(10_000_000).default(2000),
  PHOTO_STORAGE_MB: z.coerce.number().int().min(1).max(10_000_000).default(5000),
});

const envSchema = baseEnvSchema.extend(secretEnvSchema.shape).superRefine((e, ctx) => {
  if (e.NODE_ENV === 'test') return;
  for (const [name, floor] of floorChecks) {
    if (e[name] < floor) ctx.addIssue({ code: 'custom', path: [name], message: `below the production floor of ${floor} (lower values only with NODE_ENV=test)` });
  }
});

export interface RateLimitConfig {
  /** Attempts per key (a handle) in the window. */
  readonly perKey: number;
  /** Attempts across the whole instance in the window. */
  readonly overall: number;
  readonly windowSeconds: number;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  /** The origin users reach, used in links and for cookie security; defaults to http://localhost:PORT. */
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly env: 'production' | 'development' | 'test';
  readonly logLevel: string;
  readonly defaultLocale: string;
  readonly trustProxy: boolean;
  readonly sweepIntervalMs: number;
  /**
   * SQLite: how soon after a write that removes or replaces data the WAL is checkpointed and truncated, so that
   * the removed words leave the data directory's bytes; writes meanwhile share one checkpoint.
   */
  readonly scrubCheckpointMs: number;
  /**
   * How long a process holds a background job's lease without renewing it: when a process dies or hangs, another
   * takes its jobs over within this (plus a third of it).
   */
  readonly jobLeaseMs: number;
  readonly sessionMs: number;
  /** scrypt's cost (log2 N) for a backup encrypted with a passphrase. */
  readonly backupScryptLogN: number;
  readonly argon2: {
    readonly memoryKiB: number;
    readonly iterations: number;
    /** Stored passphrase hashes made with less than this are refused: the production floor, lower only under NODE_ENV=test. */
    readonly floor: { readonly memoryKiB: number; readonly iterations: number };
  };
  readonly rateLimits: {
    readonly signup: RateLimitConfig;
    /** Failed log-ins only; a browser with the account's device cookie is exempt. */
    readonly login: RateLimitConfig;
    readonly recovery: RateLimitConfig;
    /** New threads and replies, per member. */
    readonly posting: RateLimitConfig;
    /** Screening look-ups, per member. */
    readonly lookup: RateLimitConfig;
    /** Room messages, per member (API and socket together). */
    readonly roomMessages: RateLimitConfig;
    /** Any room socket event, per member: each one reads the database. */
    readonly roomEvents: RateLimitConfig;
    /** Private messages per member (API and socket together). */
    readonly conversationMessages: RateLimitConfig;
    /** New conversations (requests) per member. */
    readonly conversationStarts: RateLimitConfig;
  };
  readonly safety: {
    readonly graceMs: number;
    readonly checkinRetentionMs: number;
    readonly incidentRetentionMs: number;
    readonly scanIntervalMs: number;
  };
  /** Lets outgoing calls (Web Push, federation) reach private and loopback addresses, over plain http too: honoured only when NODE_ENV=test. */
  readonly allowPrivateNetwork: boolean;
  readonly reviews: {
    readonly lifetimeMs: number;
    readonly perDay: number;
    readonly digest: { readonly memoryKiB: number; readonly iterations: number };
  };
  /** ActivityPub (federation/). */
  readonly federation: {
    /** Off: no ActivityPub endpoint, no discovery, nothing sent. */
    readonly enabled: boolean;
    /** Whether NodeInfo publishes the number of members. */
    readonly userCounts: boolean;
    /** The first retry of a failed delivery waits this long, each further one twice as long. */
    readonly retryBaseMs: number;
    /** A delivery that has not succeeded after this long is given up. */
    readonly deliveryMaxAgeMs: number;
    readonly deliveryConcurrency: number;
    /** Timeout of each request to another server. */
    readonly requestTimeoutMs: number;
    /** Inbox requests per remote host (the signing key's host) and overall. */
    readonly inboxLimit: RateLimitConfig;
  };
  /** Strangers past the log-in limits answer a challenge: a proof of work of `bits` zero bits, or a wait without JavaScript. */
  readonly loginChallenge: { readonly bits: number; readonly waitSeconds: number };
  /** argon2 runs at once, and how many may wait for a turn before a 429: guessing must not exhaust the server. */
  readonly passphraseChecks: { readonly concurrency: number; readonly maxWaiting: number };
  /** Photos (server/media): how many a member and the whole instance may upload a day, and the storage they may fill. */
  readonly media: { readonly perMemberPerDay: number; readonly perInstancePerDay: number; readonly maxStorageBytes: number };
  /** DATABASE_KEY and PARASOL_SECRET_FILE, read and checked at start. */
  readonly secrets: SecretSettings;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A SQLite file named in DATABASE_URL must go into a directory that exists: a mistyped path would otherwise start
 * a new, empty instance beside the real one. (DATA_DIR's default directory is made on first start.)
 */
function checkSqliteDirectory(databaseUrl: string | undefined): void {
  if (!databaseUrl?.startsWith('sqlite:')) return;
  const file = databaseUrl.slice('sqlite:'.length);
  if (file === ':memory:') return;
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) {
    throw new ConfigError(`Invalid configuration:\n  DATABASE_URL: the directory ${dir} does not exist; create it, or correct the path`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const databaseUrl = e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'parasol.sqlite')}`;
  checkSqliteDirectory(e.DATABASE_URL);
  let secrets: SecretSettings;
  try {
    secrets = loadSecretSettings(e, dataDir, databaseUrl);
  } catch (error) {
    if (error instanceof SecretSettingsError) throw new ConfigError(`Invalid configuration:\n  ${error.message}`);
    throw error;
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    databaseUrl,
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    defaultLocale: e.DEFAULT_LOCALE,
    trustProxy: e.TRUST_PROXY,
    sweepIntervalMs: e.SWEEP_INTERVAL_SECONDS * 1000,
    scrubCheckpointMs: e.SCRUB_CHECKPOINT_MS,
    jobLeaseMs: e.JOB_LEASE_SECONDS * 1000,
    sessionMs: e.SESSION_DAYS * 86_400_000,
    backupScryptLogN: e.BACKUP_SCRYPT_LOG_N,
    argon2: {
      memoryKiB: e.ARGON2_MEMORY_KIB,
      iterations: e.ARGON2_ITERATIONS,
      floor: e.NODE_ENV === 'test' ? testHashingFloor : hashingFloor.passphrase,
    },
    rateLimits: {
      signup: { perKey: 5, overall: 30, windowSeconds: 600 },
      login: { perKey: 10, overall: 300, windowSeconds: 600 },
      recovery: { perKey: 5, overall: 60, windowSeconds: 600 },
      posting: { perKey: 10, overall: 2000, windowSeconds: 60 },
      lookup: { perKey: 30, overall: 1000, windowSeconds: 3600 },
      roomMessages: { perKey: 20, overall: 10_000, windowSeconds: 10 },
      roomEvents: { perKey: 60, overall: 50_000, windowSeconds: 10 },
      conversationMessages: { perKey: 20, overall: 10_000, windowSeconds: 10 },
      conversationStarts: { perKey: 10, overall: 1000, windowSeconds: 600 },
    },
    safety: {
      graceMs: e.CHECKIN_GRACE_SECONDS * 1000,
      checkinRetentionMs: e.CHECKIN_RETENTION_HOURS * 3_600_000,
      incidentRetentionMs: e.INCIDENT_RETENTION_DAYS * 86_400_000,
      scanIntervalMs: e.CHECKIN_SCAN_SECONDS * 1000,
    },
    allowPrivateNetwork: e.ALLOW_PRIVATE_NETWORK && e.NODE_ENV === 'test',
    reviews: {
      lifetimeMs: e.REVIEW_LIFETIME_DAYS * 86_400_000,
      perDay: e.REVIEWS_PER_DAY,
      digest: { memoryKiB: e.REVIEW_HASH_MEMORY_KIB, iterations: e.REVIEW_HASH_ITERATIONS },
    },
    federation: {
      enabled: e.FEDERATION,
      userCounts: e.FEDERATION_USER_COUNTS,
      retryBaseMs: e.FEDERATION_RETRY_BASE_SECONDS * 1000,
      deliveryMaxAgeMs: e.FEDERATION_DELIVERY_HOURS * 3_600_000,
      deliveryConcurrency: e.FEDERATION_DELIVERY_CONCURRENCY,
      requestTimeoutMs: 10_000,
      inboxLimit: { perKey: e.FEDERATION_INBOX_PER_HOST_PER_MINUTE, overall: e.FEDERATION_INBOX_PER_HOST_PER_MINUTE * 10, windowSeconds: 60 },
    },
    loginChallenge: { bits: e.LOGIN_POW_BITS, waitSeconds: e.LOGIN_WAIT_SECONDS },
    passphraseChecks: { concurrency: e.PASSPHRASE_CHECKS_AT_ONCE, maxWaiting: e.PASSPHRASE_CHECKS_WAITING },
    media: {
      perMemberPerDay: e.PHOTOS_PER_MEMBER_PER_DAY,
      perInstancePerDay: e.PHOTOS_PER_INSTANCE_PER_DAY,
      maxStorageBytes: e.PHOTO_STORAGE_MB * 1024 * 1024,
    },
    secrets,
  };
}
