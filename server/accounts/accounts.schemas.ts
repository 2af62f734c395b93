import { z } from 'zod';
import { PASSPHRASE_MAX, PASSPHRASE_MIN } from './passphrase.js';
import { handleSchema } from './handle.js';
import { challengeAnswer } from './login-guard.js';

/*
 * What members and staff send to the accounts service, which validates with
 * these once; routes declare them only for the OpenAPI document.
 */

const passphraseSchema = z.string().min(PASSPHRASE_MIN, 'validation.passphrase_length').max(PASSPHRASE_MAX, 'validation.passphrase_length');

export const signupInput = z.strictObject({
  handle: handleSchema,
  passphrase: passphraseSchema,
  answer: z.string().trim().max(500).optional(),
  invite: z.string().trim().max(40).optional(),
});
export const loginInput = z.strictObject({
  handle: z.string().trim().min(1).max(100),
  passphrase: z.string().min(1).max(PASSPHRASE_MAX),
  /** The answer to a log-in challenge, once the server asked for one. */
  challenge: challengeAnswer.optional(),
});
export const recoverInput = z.strictObject({
  handle: z.string().trim().min(1).max(100),
  code: z.string().trim().min(1).max(40),
  passphrase: passphraseSchema,
});
export const profileInput = z.strictObject({
  displayName: z
    .string()
    .trim()
    .min(1)
    .max(50)
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'validation.no_control_chars')
    .optional(),
  locale: z.string().max(20).nullable().optional(),
  /** Discreet mode on or off; null follows the instance default. */
  discreet: z.boolean().nullable().optional(),
  /** The site's name as every page's title, on or off; null follows the instance default. */
  discreetTitles: z.boolean().nullable().optional(),
});
export const changePassphraseInput = z.strictObject({ current: z.string().min(1).max(PASSPHRASE_MAX), passphrase: passphraseSchema });
export const deleteAccountInput = z.strictObject({
  passphrase: z.string().min(1).max(PASSPHRASE_MAX),
  content: z.enum(['delete', 'keep_anonymous']),
});
export const confirmInput = z.strictObject({ passphrase: z.string().min(1).max(PASSPHRASE_MAX) });
export const roleInput = z.strictObject({ role: z.enum(['member', 'moderator', 'admin']) });

export const suspensionInput = z.strictObject({
  /** Days; null or absent means a ban without end. */
  days: z.number().int().min(1).max(3650).nullable().optional(),
  reason: z.string().trim().min(3).max(500),
});
