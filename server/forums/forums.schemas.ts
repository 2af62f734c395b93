import { z } from 'zod';
import { reactionKinds } from './reactions.js';

export const TITLE_MAX = 150;
export const BODY_MAX = 20_000;
export const CW_MAX = 100;

/** Form checkboxes arrive as "on"/"true"/"1"; JSON sends booleans. */
const flag = z.union([z.boolean(), z.enum(['on', 'true', '1', 'false', '0', '']).transform((v) => v === 'on' || v === 'true' || v === '1')]);

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional();

export const slugSchema = z
  .string()
  .trim()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'validation.slug_chars');

export const boardInput = z.strictObject({
  slug: slugSchema,
  name: z.string().trim().min(1).max(80),
  description: z.string().trim().max(500).default(''),
  language: z.string().trim().min(2).max(20).default('en'),
  visibility: z.enum(['public', 'members', 'network']).default('public'),
  position: z.number().int().min(0).max(10_000).optional(),
  approveFirstPosts: flag.default(false),
  slowModeSeconds: z.number().int().min(0).max(86_400).default(0),
});

export const boardPatchInput = z.strictObject({
  name: z.string().trim().min(1).max(80).optional(),
  description: z.string().trim().max(500).optional(),
  language: z.string().trim().min(2).max(20).optional(),
  visibility: z.enum(['public', 'members', 'network']).optional(),
  position: z.number().int().min(0).max(10_000).optional(),
  archived: flag.optional(),
  approveFirstPosts: flag.optional(),
  slowModeSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Off: pictures of posts from other servers are neither fetched nor shown, and the copies made are deleted. */
  remoteMedia: flag.optional(),
  /** Handles of the board's own moderators, replacing the list. */
  moderators: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
});

export const threadInput = z.strictObject({
  title: z.string().trim().min(1, 'validation.required').max(TITLE_MAX),
  body: z.string().max(BODY_MAX),
  anonymous: flag.default(false),
  contentWarning: optionalText(CW_MAX),
});

export const replyInput = z.strictObject({
  body: z.string().max(BODY_MAX),
  /** Left out: anonymous in a thread the member started anonymously, named elsewhere. */
  anonymous: flag.optional(),
  contentWarning: optionalText(CW_MAX),
  quoteOf: z.string().trim().max(64).transform((v) => (v === '' ? null : v)).nullable().optional(),
});

export const editInput = z.strictObject({
  body: z.string().max(BODY_MAX).optional(),
  contentWarning: optionalText(CW_MAX),
  title: z.string().trim().min(1).max(TITLE_MAX).optional(),
});

export const reactionInput = z.strictObject({ kind: z.enum(reactionKinds) });

/** A ban names the post, never the identity: the server finds the blinded id itself. */
export const banInput = z.strictObject({ reason: z.string().trim().min(3, 'validation.reason_needed').max(500) });
/** Lifting a ban needs no reason; one given goes into the moderation log. */
export const liftBanInput = z.strictObject({ reason: z.string().trim().max(500).default('') });

export const postModerationInput = z.strictObject({
  action: z.enum(['hide', 'unhide', 'remove', 'restore', 'approve']),
  reason: z.string().trim().max(500).default(''),
});

export const threadModerationInput = z.strictObject({
  action: z.enum(['pin', 'unpin', 'lock', 'unlock', 'move', 'remove', 'restore']),
  reason: z.string().trim().max(500).default(''),
  /** The board to move the thread to, with action "move" (forms send an empty field for the others). */
  board: z.preprocess((v) => (v === '' ? undefined : v), slugSchema.optional()),
});

export const pageInput = z.strictObject({
  after: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export const searchInput = z.strictObject({
  q: z.string().trim().min(1).max(200),
  after: z.string().max(300).optional(),
});

/** The author of a post from another server: shown by name and address, never an account here. */
export const remoteAuthorInput = z.strictObject({
  actor: z.url(),
  name: z.string().trim().min(1).max(100),
  address: z.string().trim().min(3).max(300),
  url: z.url().nullable(),
});

/** A post from another server, as federation hands it over (already read from ActivityStreams). */
export const remotePostInput = z.strictObject({
  /** Null for a new thread. */
  threadId: z.string().max(64).nullable(),
  quoteOf: z.string().max(64).nullable(),
  title: z.string().trim().max(TITLE_MAX).nullable(),
  /** Remote HTML, cleaned here like local posts. */
  html: z.string().max(BODY_MAX * 5),
  contentWarning: z.string().trim().max(CW_MAX).nullable(),
  remote: remoteAuthorInput,
});

export const remoteEditInput = z.strictObject({
  html: z.string().max(BODY_MAX * 5),
  contentWarning: z.string().trim().max(CW_MAX).nullable(),
  title: z.string().trim().max(TITLE_MAX).nullable(),
});
