/**
 * Evidence exports of incident photos (server/media/evidence-export.ts), signed with the instance's own signing key
 * (server/instance/signing-key.ts), and the page, file and API answer that publish its public key for whoever checks
 * an export (docs/evidence.md). None of it needs federation.
 */
import type express from 'express';
import type { AppContext } from './context.js';
import { AppError } from './core/errors.js';
import type { ApiRouter } from './http/api-router.js';
import { handle, sendPage } from './http/pages.js';
import { param } from './http/route-param.js';
import { InstanceSigningKey, SIGNING_KEY_PATH } from './instance/signing-key.js';
import { mediaError } from './media/errors.js';
import { buildEvidenceZip, instanceEvidenceSigner } from './media/evidence-export.js';
import { evidenceKeyPage } from './media/evidence-key.views.js';

const EXTENSION: Record<string, string> = { 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/png': 'png' };

/** The page that shows the key, in the member's language. */
export const EVIDENCE_KEY_PAGE = '/evidence-key';

export function attachEvidence(app: express.Express, api: ApiRouter, ctx: AppContext): void {
  const key = new InstanceSigningKey(ctx.store);
  const keyId = `${ctx.config.publicUrl}${SIGNING_KEY_PATH}`;

  // An incident's photos as evidence, for its reporter and the responders.
  app.get(
    '/safety/incidents/:id/evidence.zip',
    handle(async (req, res) => {
      if (!req.account) throw new AppError(401, 'login_required');
      const incident = await ctx.incidents.get(req.account, param(req.params.id));
      const files = await ctx.media.files('incident', incident.id);
      if (files.length === 0) throw mediaError(404, 'photo_not_found');
      const zip = await buildEvidenceZip(
        incident.id,
        files.map(({ photo, bytes }, i) => ({
          name: `photo-${String(i + 1).padStart(2, '0')}.${EXTENSION[photo.mediaType] ?? 'jpg'}`,
          bytes,
          sha256: photo.sha256,
          receivedAt: photo.receivedAt,
          mediaType: photo.mediaType,
        })),
        instanceEvidenceSigner({ keyId, privateKeyPem: (await key.keyPair()).privateKeyPem }),
        Date.now(),
      );
      res.setHeader('Content-Type', 'application/zip');
      res.setHeader('Content-Disposition', `attachment; filename="evidence-${incident.id}.zip"`);
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.send(Buffer.from(zip));
    }),
  );

  // The public key as a file, at the address the manifests name as their key id.
  app.get(
    SIGNING_KEY_PATH,
    handle(async (_req, res) => {
      res.setHeader('Content-Type', 'application/x-pem-file');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'public, max-age=3600');
      res.send((await key.keyPair()).publicKeyPem);
    }),
  );
  app.get(
    EVIDENCE_KEY_PAGE,
    handle(async (req, res) => {
      const { publicKeyPem, fingerprint } = await key.keyPair();
      sendPage(res, evidenceKeyPage(ctx.page(req), { path: SIGNING_KEY_PATH, url: keyId, publicKeyPem, fingerprint }));
    }),
  );
  api.route({
    method: 'get', path: '/evidence-key', tag: 'media', access: 'public',
    summary: 'The public key that signs evidence exports (RSA, PEM), its key id as manifests name it and its SHA-256 fingerprint',
    handler: async () => {
      const { publicKeyPem, fingerprint } = await key.keyPair();
      return { keyId, algorithm: 'RSASSA-PKCS1-v1_5 with SHA-256', publicKeyPem, fingerprint };
    },
  });
}
