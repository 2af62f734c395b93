import { z } from 'zod';

export const inviteInput = z.strictObject({ days: z.number().int().min(1).max(90).default(7) });

export const trustedInput = z.strictObject({ trusted: z.boolean() });

export const responderInput = z.strictObject({ responder: z.boolean() });

/** JSON sends booleans; a form's checkbox sends "true" when ticked and nothing when not. */
const yesNo = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** Both marks at once, as the members list's form sends them (an unticked box sends nothing: not trusted). */
export const memberFlagsInput = z.strictObject({ trusted: yesNo.default(false), responder: yesNo.default(false) });

/** The members list: the start of a handle (any case), and the cursor of the page before. */
export const memberSearchInput = z.strictObject({
  q: z
    .string()
    .trim()
    .max(60)
    .regex(/^[A-Za-z0-9_]*$/, 'validation.handle_chars')
    .transform((q) => q.toLowerCase())
    .optional(),
  after: z.string().max(300).optional(),
});

/** A handle in a path: what handles can be, or a 404 (never a lookup of arbitrary text). */
export const handleParam = z.string().regex(/^[A-Za-z0-9_]{1,60}$/);
