import net from 'node:net';
import { z } from 'zod';
import { isBlockedAddress } from '../http/outbound.js';
import { isCountry } from './countries.js';

// Names that only mean something inside one network (RFC 6761, 6762, 8375 and the ones vendors use).
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'intranet', 'lan', 'home', 'corp', 'private', 'home.arpa', 'test', 'invalid', 'onion'];

/**
 * Whether `hostname` (as the URL parser gives it) is a public name or address: an IP literal must be public unicast
 * (the same registry the server's outbound SSRF guard uses), and a name must have a dot and not end in a suffix that
 * only resolves inside a network. A quick exit to the router's page or to a service on the phone's own network would
 * show a worker's flight in that network's logs, or fail where the worker is.
 */
export function isPublicHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (net.isIP(host)) return !isBlockedAddress(host);
  // The URL parser already turned numeric forms like 2130706433 or 0x7f.1 into dotted IPv4.
  if (!host.includes('.')) return false;
  return !LOCAL_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
}

/**
 * An absolute https URL to a public host, kept in its canonical form. The
 * prefix is checked on the raw text because the URL parser also accepts forms
 * like "https:host". Plain http would let anyone on the network see (and
 * change) where a person fled to; a user name in the URL could disguise the
 * real host.
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
  }, { error: 'validation.https_url', abort: true })
  .refine((raw) => isPublicHost(new URL(raw).hostname), 'layout.public_url')
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
    .regex(/^[A-Z]{2}$/, { error: 'validation.country', abort: true })
    .refine(isCountry, 'layout.country_unknown')
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
