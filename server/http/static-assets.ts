import path from 'node:path';
import express, { type Express } from 'express';
import { projectRoot } from '../paths.js';
import { iconSprite } from '../views/icons.js';

const socketIoClient = path.join(projectRoot, 'node_modules', 'socket.io', 'client-dist', 'socket.io.min.js');

/** The files the pages load: scripts and styles from client/, the icon sprite, the socket.io client, the service worker. */
export function mountStaticAssets(app: Express): void {
  const sprite = iconSprite();
  app.get('/assets/icons.svg', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=604800');
    res.type('image/svg+xml').send(sprite);
  });
  // The service worker lives at the root so that its scope is the whole site.
  app.get('/sw.js', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(projectRoot, 'client', 'sw.js'));
  });
  app.get('/assets/vendor/socket.io.min.js', (_req, res) => {
    res.sendFile(socketIoClient, { maxAge: '7d' });
  });
  app.use('/assets', express.static(path.join(projectRoot, 'client'), { maxAge: '7d', index: false, fallthrough: false }));
}
