import express, { type Response } from 'express';
import { z } from 'zod';
import type { AccountsService } from '../../server/accounts/accounts.service.js';
import type { InstanceService } from '../../server/instance/instance.service.js';
import { refOfDottedName, type Actors } from './actors.js';
import type { ApexActor } from '../apex-types.js';
import type { Iris } from '../iris.js';

export interface WellKnownDeps {
  readonly iris: Iris;
  readonly actors: Actors;
  readonly accounts: AccountsService;
  readonly instance: InstanceService;
  readonly version: string;
  /** Whether NodeInfo publishes the number of members. */
  readonly userCounts: boolean;
}

const resourceQuery = z.object({ resource: z.string().min(1).max(600) });
const ACCT = /^acct:([^@\s]{1,100})@([^@\s]{1,260})$/i;
const USER_COUNT_TTL_MS = 10 * 60_000;

function publicJson(res: Response, type: string, body: unknown): void {
  // Discovery documents are public and read by browser-based clients too (RFC 7033 §5).
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.type(type).send(JSON.stringify(body));
}

/**
 * Discovery: WebFinger (RFC 7033) for boards, members and the instance actor,
 * NodeInfo 2.1 (with the FEP-2677 link to the instance actor) and host-meta.
 * Every actor Parasol sends as is found (NodeBB checks a key's owner through
 * WebFinger and refuses what it cannot find): boards, their anonymous members,
 * the instance and its Persons, and every member who has a Person. A member
 * without one (never discoverable, never written elsewhere), a members-only
 * board, a room and anything unknown all answer the same 404.
 */
export function wellKnownRouter(deps: WellKnownDeps): express.Router {
  const { iris, actors } = deps;
  const router = express.Router();
  const host = new URL(iris.base).host.toLowerCase();
  let userCount: { value: number; at: number } | null = null;

  async function findByName(name: string): Promise<{ actor: ApexActor; page: string | null } | null> {
    const lower = name.toLowerCase();
    if (lower === actors.hostname.toLowerCase()) return { actor: await actors.instanceActor(), page: `${iris.base}/` };
    // Boards come first: a member whose handle equals a public board's slug is found by their actor IRI only.
    const board = await actors.boardActor(lower);
    if (board) return { actor: board, page: `${iris.base}/b/${lower}` };
    const dotted = refOfDottedName(lower);
    if (dotted) {
      const actor = await actors.resolve(dotted);
      return actor ? { actor, page: null } : null;
    }
    const member = await actors.memberActor(name);
    return member ? { actor: member, page: null } : null;
  }

  router.get('/.well-known/webfinger', (req, res, next) => {
    (async () => {
      const query = resourceQuery.safeParse(req.query);
      if (!query.success) {
        res.status(400).json({ error: 'resource_required' });
        return;
      }
      const resource = query.data.resource;
      let found: { actor: ApexActor; page: string | null } | null = null;
      const acct = ACCT.exec(resource);
      if (acct) {
        if (acct[2]!.toLowerCase() === host) found = await findByName(acct[1]!);
      } else if (iris.isLocal(resource)) {
        const ref = iris.parseActor(resource);
        const actor = ref ? await actors.resolve(ref) : null;
        if (actor && ref) found = { actor, page: ref.kind === 'board' ? `${iris.base}/b/${ref.slug}` : ref.kind === 'instance' ? `${iris.base}/` : null };
      }
      if (!found) {
        res.status(404).json({ error: 'not_found' });
        return;
      }
      const username = String(found.actor.preferredUsername[0] ?? '');
      const links: Record<string, string>[] = [{ rel: 'self', type: 'application/activity+json', href: found.actor.id }];
      if (found.page) links.push({ rel: 'http://webfinger.net/rel/profile-page', type: 'text/html', href: found.page });
      publicJson(res, 'application/jrd+json', {
        subject: `acct:${username}@${host}`,
        aliases: [found.actor.id, ...(found.page ? [found.page] : [])],
        links,
      });
    })().catch(next);
  });

  router.get('/.well-known/nodeinfo', (_req, res) => {
    publicJson(res, 'application/json', {
      links: [
        { rel: 'http://nodeinfo.diaspora.software/ns/schema/2.1', href: `${iris.base}/nodeinfo/2.1` },
        // FEP-2677: how other servers find the instance actor.
        { rel: 'https://www.w3.org/ns/activitystreams#Application', href: iris.actor({ kind: 'instance' }) },
      ],
    });
  });

  router.get('/nodeinfo/2.1', (_req, res, next) => {
    (async () => {
      const settings = deps.instance.settings();
      let users: Record<string, number> = {};
      if (deps.userCounts) {
        if (!userCount || Date.now() - userCount.at > USER_COUNT_TTL_MS) userCount = { value: await deps.accounts.activeCount(), at: Date.now() };
        users = { total: userCount.value };
      }
      publicJson(res, 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"', {
        version: '2.1',
        software: { name: 'parasol', version: deps.version },
        protocols: ['activitypub'],
        services: { inbound: [], outbound: [] },
        openRegistrations: settings.registrationMode === 'open',
        usage: { users },
        metadata: { nodeName: settings.name },
      });
    })().catch(next);
  });

  const lrdd = `${iris.base}/.well-known/webfinger?resource={uri}`;
  router.get('/.well-known/host-meta', (_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res
      .type('application/xrd+xml')
      .send(`<?xml version="1.0" encoding="UTF-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n  <Link rel="lrdd" template="${lrdd.replace(/&/g, '&amp;')}"/>\n</XRD>\n`);
  });
  router.get('/.well-known/host-meta.json', (_req, res) => {
    publicJson(res, 'application/json', { links: [{ rel: 'lrdd', template: lrdd }] });
  });

  return router;
}
