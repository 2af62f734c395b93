import { z } from 'zod';

/**
 * Handles become ActivityPub usernames (acct:handle@instance), so they stay
 * within ASCII letters, digits and underscores; display names may use any script.
 */
export const HANDLE_MIN = 3;
export const HANDLE_MAX = 30;

/** What the schema below allows, as an HTML pattern for the browser to check before a form is sent (spaces around are trimmed). */
export const HANDLE_PATTERN = `\\s*[A-Za-z0-9][A-Za-z0-9_]{${HANDLE_MIN - 1},${HANDLE_MAX - 1}}\\s*`;

const reserved = new Set([
  'admin', 'administrator', 'root', 'system', 'sysadmin', 'moderator', 'mod', 'mods', 'staff', 'official', 'support',
  'help', 'helpdesk', 'security', 'abuse', 'parasol', 'instance', 'api', 'setup', 'login', 'logout', 'signup',
  'register', 'settings', 'account', 'accounts', 'me', 'anonymous', 'anon', 'deleted', 'deleted_member', 'null',
  'undefined', 'everyone', 'all', 'here', 'inbox', 'outbox', 'webfinger', 'nodeinfo', 'actor', 'actors', 'board',
  'boards', 'room', 'rooms', 'responder', 'responders', 'police', 'owner', 'info', 'www', 'mail', 'postmaster',
]);

export const handleSchema = z
  .string()
  .trim()
  .min(HANDLE_MIN, 'validation.handle_length')
  .max(HANDLE_MAX, 'validation.handle_length')
  .regex(/^[A-Za-z0-9_]+$/, 'validation.handle_chars')
  .refine((h) => /[A-Za-z0-9]/.test(h[0] ?? ''), 'validation.handle_start')
  .refine((h) => !reserved.has(h.toLowerCase()), 'validation.handle_reserved');
