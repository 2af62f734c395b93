import { z } from 'zod';

export const inviteInput = z.strictObject({ days: z.number().int().min(1).max(90).default(7) });

export const roleChangeInput = z.strictObject({
  handle: z.string().trim().min(1).max(100),
  role: z.enum(['member', 'moderator', 'admin']),
});

export const trustedInput = z.strictObject({ trusted: z.boolean() });

export const responderInput = z.strictObject({ responder: z.boolean() });
