import { z } from 'zod';
import { reactionKinds } from '../forums/reactions.js';
import { retentionChoices } from './rooms.collections.js';

/** Long enough for a real message, short enough to keep a socket frame small and a chat readable. */
export const MESSAGE_MAX = 4000;
export const ALIAS_MAX = 30;
export const NOTE_MAX = 300;
export const PIN_TITLE_MAX = 100;
export const PIN_BODY_MAX = 4000;
export const PIN_LIMIT = 20;
export const PAGE_SIZE = 50;

const id = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'validation.bad_format');

/** Ids in paths are checked before any read: a malformed one is simply not found. */
export const isId = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);

/** Form checkboxes arrive as "on"/"true"/"1"; JSON sends booleans. */
const flag = z.union([z.boolean(), z.enum(['on', 'true', '1', 'false', '0', '']).transform((v) => v === 'on' || v === 'true' || v === '1')]);

const retention = z.literal([...retentionChoices]);

/**
 * Letters, digits, spaces and a few marks, nothing else: no "@", so that an
 * alias can never pass for a member's pseudonym, and no control or
 * formatting characters that could disguise it.
 */
export const aliasSchema = z
  .string()
  .trim()
  .min(2)
  .max(ALIAS_MAX)
  .regex(/^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} ._'-]*$/u, 'validation.alias_chars');

/** An empty alias field means "make one up for me". */
const optionalAlias = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), aliasSchema.optional());

const displayMode = z.enum(['alias', 'pseudonym']);

export const roomInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  description: z.string().trim().max(500).default(''),
  purpose: z.string().trim().max(80).default(''),
  language: z.string().trim().min(2).max(20).default('en'),
  joinPolicy: z.enum(['request', 'invite']).default('request'),
  retentionDays: retention.default(30),
  listed: flag.default(false),
  /** The creator's alias in the room. */
  alias: optionalAlias,
});

export const roomPatchInput = z.strictObject({
  name: z.string().trim().min(1).max(80).optional(),
  description: z.string().trim().max(500).optional(),
  purpose: z.string().trim().max(80).optional(),
  language: z.string().trim().min(2).max(20).optional(),
  joinPolicy: z.enum(['request', 'invite']).optional(),
  retentionDays: retention.optional(),
  listed: flag.optional(),
  readOnly: flag.optional(),
});

export const messageInput = z.strictObject({
  body: z.string().max(MESSAGE_MAX),
  replyTo: z.preprocess((v) => (v === '' ? null : v), id.nullable().optional()),
  /** The sending client's id for this message: a retry with the same id is stored once. */
  clientId: z.preprocess((v) => (v === '' ? undefined : v), id.optional()),
});

export const editInput = z.strictObject({ body: z.string().max(MESSAGE_MAX) });

export const reactionInput = z.strictObject({ kind: z.enum(reactionKinds) });

export const historyInput = z.strictObject({
  /** Older messages than this cursor, newest of them first in the page's range. */
  before: z.string().regex(/^\d{1,15}$/, 'validation.bad_format').optional(),
  /** Newer messages than this cursor, for catching up after a reconnection. */
  after: z.string().regex(/^\d{1,15}$/, 'validation.bad_format').optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export const requestInput = z.strictObject({
  note: z.string().trim().max(NOTE_MAX).default(''),
  alias: optionalAlias,
  displayMode: displayMode.default('alias'),
  /** The key from the request link, needed for an unlisted room. */
  key: z.string().trim().max(64).optional(),
});

export const joinInput = z.strictObject({
  code: z.string().trim().min(1).max(40),
  alias: optionalAlias,
  displayMode: displayMode.default('alias'),
});

export const inviteInput = z.strictObject({ days: z.number().int().min(1).max(30).default(7) });

export const muteInput = z.strictObject({
  /** 0 lifts the mute. */
  minutes: z.number().int().min(0).max(30 * 24 * 60),
});

export const pinMessageInput = z.strictObject({ messageId: id });

export const pinResourceInput = z.strictObject({
  title: z.string().trim().min(1).max(PIN_TITLE_MAX),
  body: z.string().max(PIN_BODY_MAX),
});

/** Either a message ({messageId}) or a resource ({title, body}); the service checks which one, with its own messages. */
export const pinInput = z.strictObject({
  messageId: z.unknown().optional(),
  title: z.unknown().optional(),
  body: z.unknown().optional(),
});

export const membershipInput = z.strictObject({
  displayMode: displayMode.optional(),
  alias: aliasSchema.optional(),
  showName: flag.optional(),
});

export const directoryInput = z.strictObject({
  after: z.string().max(300).optional(),
});

export const roomQueryInput = z.strictObject({ key: z.string().trim().max(64).optional() });

/** What the socket accepts for `send`; the service checks the rest exactly as for the API. */
export const socketSendInput = z.strictObject({
  roomId: id,
  body: z.string().max(MESSAGE_MAX),
  replyTo: id.nullable().optional(),
  clientId: id,
});

export const socketCatchUpInput = z.strictObject({
  roomId: id,
  after: z.string().regex(/^\d{1,15}$/),
});

export const socketReadInput = z.strictObject({
  roomId: id,
  cursor: z.string().regex(/^\d{1,15}$/),
});
