import { z } from 'zod';

/**
 * An absolute https URL, kept in its canonical form. The prefix is checked on
 * the raw text because the URL parser also accepts forms like "https:host".
 * Plain http would let anyone on the network see (and change) where a person
 * fled to; a user name in the URL could disguise the real host.
 */
const httpsUrl = z
  .string()
  .trim()
  .max(500)
  .refine((raw) => {
    if (!/^https:\/\/[^/]/i.test(raw)) return false;
    try {
      const url = new URL(raw);
      return url.protocol === 'https:' && url.hostname !== '' && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'validation.https_url')
  .transform((raw) => new URL(raw).href);

/** JSON sends booleans; the admin form's radio buttons send "true" or "false". */
const yesNo = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const settingsInput = z.strictObject({
  name: z.string().trim().min(1).max(60).optional(),
  registrationMode: z.enum(['open', 'approval', 'invite']).optional(),
  approvalQuestion: z.string().trim().min(5).max(300).optional(),
  defaultCountry: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'validation.country')
    .optional(),
  quickExitUrl: httpsUrl.optional(),
  discreetByDefault: yesNo.optional(),
  discreetName: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'validation.no_control_chars')
    .optional(),
  discreetTitlesByDefault: yesNo.optional(),
  // Several lines are welcome (a phone number, then what to say): only the other control characters are refused.
  alarmContact: z
    .string()
    .trim()
    .max(1000)
    .regex(/^(?:[^\p{Cc}\p{Cf}]|\r|\n)*$/u, 'validation.no_control_chars')
    .optional(),
  // The form sends "" for "the configured default".
  defaultLocale: z
    .string()
    .trim()
    .max(20)
    .nullable()
    .transform((v) => v || null)
    .optional(),
  // One checkbox ticked arrives as a string, several as a list; the form's hidden marker "" means none ticked.
  offeredLocales: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).map((l) => l.trim()).filter((l) => l !== ''))
    .pipe(z.array(z.string().max(20)).max(50))
    .optional(),
});
