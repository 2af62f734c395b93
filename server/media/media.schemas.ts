import { z } from 'zod';

/** A repeated form field arrives as a list, a single one as a string, an absent one not at all. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).max(4)]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** The text that goes with the photos of a form or an API call: alt text per photo, and which are sensitive. */
export const photoFieldsInput = z.object({
  alt: listOf(z.string().max(1500).regex(/^[^\p{Cc}]*$/u, 'validation.no_control_chars')),
  sensitive: listOf(z.enum(['0', '1', '2', '3'])),
});

export const MAX_PHOTOS = 4;
