import { z } from 'zod';
import { alertKinds, incidentKinds, type AlertKind, type IncidentKind } from './safety.collections.js';

const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
const list = (v: unknown) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]);

export const buddyRequestInput = z.strictObject({ handle: z.string().trim().min(1).max(100) });

export const checkinInput = z.strictObject({
  /** When the booking should be over: ISO date-time, or minutes from now. */
  expectedEnd: z.preprocess(blank, z.number().int().optional()),
  minutes: z.preprocess(blank, z.number().int().min(-1440).max(100_000).optional()),
  notes: z.string().trim().max(2000).default(''),
  buddies: z.preprocess(list, z.array(z.string().trim().min(1).max(100)).min(1, 'validation.buddy_needed').max(10)),
  /** A client identifier, only when the worker gives one: the buddies see a masked hint of it; it is not stored. */
  client: z.preprocess(
    blank,
    z
      .strictObject({ type: z.enum(['phone', 'email', 'handle']), value: z.string().trim().min(1).max(254), platform: z.preprocess(blank, z.string().max(40).optional()) })
      .optional(),
  ),
});

export const extendInput = z.strictObject({ minutes: z.number().int().min(5).max(720) });

export const alertInput = z.strictObject({
  area: z.preprocess(blank, z.string({ error: 'validation.area_needed' }).min(1, 'validation.area_needed').max(64)),
  kind: z.enum(alertKinds as [AlertKind, ...AlertKind[]]),
  text: z.string().trim().min(3).max(500),
  hours: z.preprocess(blank, z.number().int().min(1).max(168).default(24)),
});

export const incidentInput = z.strictObject({
  kind: z.enum(incidentKinds as [IncidentKind, ...IncidentKind[]]),
  description: z.string().trim().min(3).max(5000),
  help: z.string().trim().max(2000).default(''),
  contact: z.string().trim().max(500).default(''),
});

export const incidentMessageInput = z.strictObject({
  body: z.string().max(5000),
  internal: z.union([z.boolean(), z.enum(['on', 'true', 'false', '']).transform((v) => v === 'on' || v === 'true')]).default(false),
});

export const incidentStatusInput = z.strictObject({ status: z.enum(['acknowledged', 'in_progress', 'closed']) });
