import { z } from 'zod';
import { reportInput as moderationReport } from '../moderation/moderation.service.js';
import { acceptChoices, retentionChoices } from './conversations.collections.js';

/** Long enough for a real message, short enough to keep a socket frame small. */
export const MESSAGE_MAX = 4000;
/** What a request shows before it is accepted: a short first message only. */
export const FIRST_MESSAGE_MAX = 300;
/** One member and up to seven others: a ninth participant is refused. */
export const MAX_PARTICIPANTS = 8;
export const PAGE_SIZE = 50;

const handle = z.string().trim().min(1).max(64);
const id = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'validation.bad_format');

/** Ids in paths are checked before any read: a malformed one is simply not found. */
export const isId = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);

/** Forms send the number as text. */
const retention = z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.literal([...retentionChoices]));

/** A form's "to" field is one line of handles separated by commas or spaces; JSON sends a list. */
const recipients = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter((h) => h.length > 0) : v),
  z.array(handle).min(1).max(MAX_PARTICIPANTS - 1),
);

export const startInput = z.strictObject({
  to: recipients,
  body: z.string().trim().min(1).max(FIRST_MESSAGE_MAX),
  retentionDays: retention.default(7),
});

export const messageInput = z.strictObject({
  body: z.string().trim().min(1).max(MESSAGE_MAX),
  clientId: id.optional(),
});

export const historyInput = z.strictObject({
  before: z.string().regex(/^\d{1,15}$/).optional(),
  after: z.string().regex(/^\d{1,15}$/).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export const retentionInput = z.strictObject({ retentionDays: retention });

/** Whom to block in a conversation: their place in it. */
export const blockInput = z.strictObject({ place: z.coerce.number().int().min(0).max(MAX_PARTICIPANTS - 1) });

export const settingsInput = z.strictObject({ accept: z.enum(acceptChoices) });

/** A report names the messages it is about (at most 20): only those reach the moderators. */
export const reportInput = moderationReport.extend({
  messageIds: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(id).min(1).max(20)),
});

export const socketSendInput = z.strictObject({
  conversationId: id,
  body: z.string().trim().min(1).max(MESSAGE_MAX),
  clientId: id,
});

export const socketCatchUpInput = z.strictObject({ conversationId: id, after: z.string().regex(/^\d{1,15}$/) });

export const socketReadInput = z.strictObject({ conversationId: id, cursor: z.string().regex(/^\d{1,15}$/) });
