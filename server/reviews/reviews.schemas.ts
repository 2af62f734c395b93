import { z } from 'zod';
import { warningCategories } from './reviews.collections.js';

export const REVIEW_BODY_MAX = 8000;

const flag = z.union([z.boolean(), z.enum(['on', 'true', '1', 'false', '0', '']).transform((v) => v === 'on' || v === 'true' || v === '1')]);
const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

export const identifierInput = z.strictObject({
  type: z.enum(['phone', 'email', 'handle']),
  value: z.string().trim().min(1).max(254),
  platform: z.preprocess(blankToUndefined, z.string().trim().max(40).optional()),
});

export const reviewInput = z.strictObject({
  kind: z.enum(['warning', 'vouch']),
  categories: z.array(z.enum(warningCategories)).max(warningCategories.length).default([]),
  severity: z.preprocess(blankToUndefined, z.enum(['low', 'medium', 'high', 'urgent']).optional()),
  rating: z.preprocess(blankToUndefined, z.number().int().min(1).max(5).optional()),
  incidentMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'validation.month_format'),
  incidentDay: z.preprocess(blankToUndefined, z.number().int().min(1).max(31).optional()),
  area: z.preprocess(blankToUndefined, z.string().max(64).optional()),
  body: z.string().max(REVIEW_BODY_MAX),
  descriptors: z.string().trim().max(1000).default(''),
  identifiers: z.array(identifierInput).max(5).default([]),
  /** Left out: a warning is anonymous (the member may sign it), a vouch is named. */
  anonymous: flag.optional(),
});

export const correctionInput = z.strictObject({
  body: z.string().max(REVIEW_BODY_MAX).optional(),
  descriptors: z.string().trim().max(1000).optional(),
  categories: z.array(z.enum(warningCategories)).max(warningCategories.length).optional(),
  severity: z.preprocess(blankToUndefined, z.enum(['low', 'medium', 'high', 'urgent']).optional()),
  rating: z.preprocess(blankToUndefined, z.number().int().min(1).max(5).optional()),
});

export const lookupInput = z.strictObject({ identifier: identifierInput });

export const responseInput = z.strictObject({
  kind: z.enum(['corroborate', 'counter_vouch', 'dispute']),
  note: z.string().max(2000).default(''),
  anonymous: flag.default(false),
});

export const reviewModerationInput = z.strictObject({
  action: z.enum(['publish', 'reject', 'ask', 'edit', 'remove']),
  reason: z.string().trim().max(500).default(''),
  question: z.string().trim().max(1000).default(''),
  body: z.string().max(REVIEW_BODY_MAX).optional(),
  descriptors: z.string().trim().max(1000).optional(),
});

export const answerInput = z.strictObject({ answer: z.string().trim().min(1).max(2000) });

export const reviewListInput = z.strictObject({
  kind: z.preprocess(blankToUndefined, z.enum(['warning', 'vouch']).optional()),
  category: z.preprocess(blankToUndefined, z.enum(warningCategories).optional()),
  area: z.preprocess(blankToUndefined, z.string().max(64).optional()),
  after: z.string().max(300).optional(),
});

export const reviewBoardPatchInput = z.strictObject({
  name: z.string().trim().min(1).max(80).optional(),
  description: z.string().trim().max(500).optional(),
  visibility: z.enum(['members', 'network']).optional(),
  /** The network's shared secret (base64, at least 16 bytes), set before the first review. */
  secret: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9+/_-]{22,}={0,2}$/, 'validation.secret_format')
    .optional(),
});

const sharedHint = z.strictObject({ type: z.enum(['phone', 'email', 'handle']), platform: z.string().max(40).nullable(), hint: z.string().max(20) });

/** A review as a partner instance sends it: everything is checked, nothing is taken on trust but the partner's signature. */
export const sharedReviewInput = z.strictObject({
  board: z.string().regex(/^[a-z0-9-]{2,40}$/),
  author: z.strictObject({ name: z.string().trim().min(1).max(100), handle: z.string().regex(/^[A-Za-z0-9_]{1,60}$/) }).nullable(),
  area: z.string().trim().max(80).nullable(),
  kind: z.enum(['warning', 'vouch']),
  categories: z.array(z.enum(warningCategories)).max(warningCategories.length),
  severity: z.enum(['low', 'medium', 'high', 'urgent']).nullable(),
  rating: z.number().int().min(1).max(5).nullable(),
  incidentMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
  incidentDay: z.number().int().min(1).max(31).nullable(),
  html: z.string().max(100_000),
  descriptors: z.string().max(1000),
  identifiers: z.array(sharedHint).max(5),
  digests: z.array(z.string().min(16).max(200)).max(5),
  corroborations: z.number().int().min(0),
  counterVouches: z.number().int().min(0),
  disputes: z.number().int().min(0),
  publishedAt: z.number().int().min(0),
  updatedAt: z.number().int().min(0),
  expiresAt: z.number().int().min(0),
});
