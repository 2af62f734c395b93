import type { Store } from '../store/port.js';
import { newId } from '../crypto.js';
import { conflict, fieldError, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { Logger } from '../logger.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isAdmin, type AccountsService } from '../accounts/accounts.service.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import type { AreasService } from '../areas/areas.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import type { InstanceService } from '../instance/instance.service.js';
import type { Publish } from '../forums/changes.js';
import { renderBody } from '../content/markdown.js';
import { normaliseIdentifier } from '../reviews/identifiers.js';
import type { PushService } from './push.service.js';
import {
  alertsCollection,
  buddyLinksCollection,
  checkinsCollection,
  incidentMessagesCollection,
  incidentsCollection,
  type AlertDoc,
  type BuddyLinkDoc,
  type CheckinDoc,
  type IncidentDoc,
  type IncidentMessageDoc,
} from './safety.collections.js';
import {
  alertInput,
  buddyRequestInput,
  checkinInput,
  extendInput,
  incidentInput,
  incidentMessageInput,
  incidentStatusInput,
} from './safety.schemas.js';

export interface SafetyConfig {
  /** Time after the expected end before buddies are alerted. */
  readonly graceMs: number;
  /** Closed or alerted check-ins (with their notes) are deleted this long after. */
  readonly checkinRetentionMs: number;
  /** Closed incidents are deleted this long after closing. */
  readonly incidentRetentionMs: number;
  /** How often overdue check-ins are looked for. */
  readonly scanIntervalMs: number;
}

export interface SafetyDeps {
  readonly store: Store;
  readonly accounts: AccountsService;
  readonly areas: AreasService;
  readonly notifications: NotificationsService;
  readonly instance: InstanceService;
  readonly push: PushService;
  readonly hooks: AccountHooks;
  readonly publish: Publish;
  readonly logger: Logger;
  readonly config: SafetyConfig;
}

export interface BuddyView {
  readonly handle: string;
  readonly displayName: string;
  readonly state: BuddyLinkDoc['state'];
}

export interface CheckinView {
  readonly id: string;
  readonly owner: { readonly handle: string; readonly displayName: string } | null;
  readonly buddies: readonly string[];
  readonly notes: string;
  readonly clientHint: string | null;
  readonly expectedEnd: number;
  readonly deadline: number;
  readonly status: CheckinDoc['status'];
  readonly sos: boolean;
  readonly alertedAt: number | null;
  readonly handledBy: readonly string[];
  readonly mine: boolean;
}

export interface AlertView {
  readonly id: string;
  readonly area: { readonly id: string; readonly name: string };
  readonly kind: AlertDoc['kind'];
  readonly text: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly mine: boolean;
}

export interface IncidentView {
  readonly id: string;
  readonly kind: IncidentDoc['kind'];
  readonly description: string;
  readonly help: string;
  readonly contact: string;
  readonly status: IncidentDoc['status'];
  readonly reporter: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly mine: boolean;
  readonly messages: readonly { readonly id: string; readonly fromResponder: boolean; readonly internal: boolean; readonly html: string; readonly createdAt: number }[];
}

const DAY = 86_400_000;
const MAX_AHEAD = DAY;

/**
 * Buddy check-ins, SOS, danger alerts and incident response: the tools
 * workers asked for to look after each other without calling the police.
 */
export function createSafetyService(deps: SafetyDeps) {
  const { store, accounts, areas, notifications, instance, push, hooks, publish, logger, config } = deps;
  const links = store.collection(buddyLinksCollection);
  const checkins = store.collection(checkinsCollection);
  const alerts = store.collection(alertsCollection);
  const incidents = store.collection(incidentsCollection);
  const messages = store.collection(incidentMessagesCollection);

  const isResponder = (a: AccountDoc | null) => !!a && a.status === 'active' && (a.responder === true || isAdmin(a));

  function ensureMember(viewer: AccountDoc | null): asserts viewer is AccountDoc {
    if (!viewer) throw unauthorized('login_required');
    if (viewer.status !== 'active') throw forbidden('pending_approval');
  }

  async function linksOf(ownerId: string): Promise<BuddyLinkDoc[]> {
    return (await links.find({ where: { ownerId }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
  }

  async function activeBuddyIds(ownerId: string): Promise<string[]> {
    return (await linksOf(ownerId)).filter((l) => l.state === 'active').map((l) => l.otherId);
  }

  async function checkinView(viewer: AccountDoc, c: CheckinDoc): Promise<CheckinView> {
    const names = await accounts.publicNames([c.ownerId, ...c.buddyIds, ...c.handledBy]);
    const name = (id: string) => names.get(id)?.handle ?? '?';
    return {
      id: c.id,
      owner: names.get(c.ownerId) ?? null,
      buddies: c.buddyIds.map(name),
      notes: c.notes,
      clientHint: c.clientHint,
      expectedEnd: c.expectedEnd,
      deadline: c.deadline,
      status: c.status,
      sos: c.sos,
      alertedAt: c.alertedAt,
      handledBy: c.handledBy.map(name),
      mine: c.ownerId === viewer.id,
    };
  }

  async function visibleCheckin(viewer: AccountDoc | null, id: string): Promise<CheckinDoc> {
    ensureMember(viewer);
    const c = id.length <= 64 ? await checkins.get(id) : null;
    if (!c || (c.ownerId !== viewer.id && !c.buddyIds.includes(viewer.id))) throw notFound('checkin_not_found');
    return c;
  }

  /** Tells the chosen buddies at once: live on open pages, on their next page view, and by Web Push. */
  async function raiseAlarm(c: CheckinDoc, sos: boolean): Promise<CheckinDoc> {
    const now = Date.now();
    const updated = await checkins.patch(c.id, { status: 'alerted', sos: c.sos || sos, alertedAt: now, expiresAt: now + config.checkinRetentionMs });
    if (!updated) return c;
    const url = `/safety/checkins/${c.id}`;
    await notifications.notify(c.buddyIds, sos ? 'buddy_sos' : 'buddy_overdue', url);
    for (const buddy of c.buddyIds) publish('account', buddy, 'buddy-alert', { checkinId: c.id, sos });
    await push.notify(c.buddyIds, url);
    return updated;
  }

  /** Alerts every open check-in whose deadline passed; also runs at start, so a restart loses no deadline. */
  async function alertOverdue(now = Date.now()): Promise<number> {
    const due = await checkins.find({ where: { status: 'open' }, orderBy: { field: 'deadline' }, range: { lte: now }, limit: 200 });
    for (const c of due.items) await raiseAlarm(c, false);
    return due.items.length;
  }

  async function getIncident(viewer: AccountDoc | null, id: string): Promise<IncidentView> {
    ensureMember(viewer);
    const incident = id.length <= 64 ? await incidents.get(id) : null;
    const responder = isResponder(viewer);
    if (!incident || (incident.reporterId !== viewer.id && !responder)) throw notFound('incident_not_found');
    const thread = (await messages.find({ where: { incidentId: incident.id }, orderBy: { field: 'createdAt' }, limit: 500 })).items.filter((m) => responder || !m.internal);
    const reporter = incident.reporterId ? (await accounts.publicNames([incident.reporterId])).get(incident.reporterId)?.handle ?? null : null;
    return {
      id: incident.id,
      kind: incident.kind,
      description: incident.description,
      help: incident.help,
      contact: incident.contact,
      status: incident.status,
      reporter: responder ? reporter : null,
      createdAt: incident.createdAt,
      updatedAt: incident.updatedAt,
      mine: incident.reporterId === viewer.id,
      messages: thread.map((m) => ({ id: m.id, fromResponder: m.fromResponder, internal: m.internal, html: m.html, createdAt: m.createdAt })),
    };
  }

  let timer: NodeJS.Timeout | null = null;

  hooks.onDeleted(async (tx, accountId) => {
    const lcol = tx.collection(buddyLinksCollection);
    for (const l of (await lcol.find({ where: { ownerId: accountId }, orderBy: { field: 'createdAt' }, limit: 200 })).items) {
      await lcol.delete(l.id);
      await lcol.delete(`${l.otherId}.${accountId}`);
    }
    const ccol = tx.collection(checkinsCollection);
    let after: string | null = null;
    do {
      const page = await ccol.find({ where: { ownerId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after });
      for (const c of page.items) await ccol.delete(c.id);
      after = page.next;
    } while (after);
    const icol = tx.collection(incidentsCollection);
    let iafter: string | null = null;
    do {
      const page = await icol.find({ where: { reporterId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after: iafter });
      for (const i of page.items) {
        await tx.collection(incidentMessagesCollection).deleteWhere({ incidentId: i.id });
        await icol.delete(i.id);
      }
      iafter = page.next;
    } while (iafter);
  });

  return {
    /** Starts the overdue scanner (and runs it once now, for deadlines that passed while the server was down). */
    async start(): Promise<void> {
      await alertOverdue().catch((error: unknown) => logger.error({ err: error }, 'check-in scan failed'));
      timer = setInterval(() => {
        alertOverdue().catch((error: unknown) => logger.error({ err: error }, 'check-in scan failed'));
      }, config.scanIntervalMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
    alertOverdue,

    // ---- buddies ----------------------------------------------------------

    async buddies(viewer: AccountDoc | null): Promise<BuddyView[]> {
      ensureMember(viewer);
      const list = await linksOf(viewer.id);
      const names = await accounts.publicNames(list.map((l) => l.otherId));
      return list.filter((l) => names.has(l.otherId)).map((l) => ({ ...names.get(l.otherId)!, state: l.state }));
    },

    /** Asks a member to be buddies; if they had asked already, this accepts. */
    async requestBuddy(viewer: AccountDoc | null, raw: unknown): Promise<BuddyView> {
      ensureMember(viewer);
      const { handle } = parseInput(buddyRequestInput, raw);
      const other = await accounts.byHandle(handle);
      if (!other || other.status !== 'active') throw notFound('account_not_found');
      if (other.id === viewer.id) throw unprocessable('buddy_self');
      const mine = await links.get(`${viewer.id}.${other.id}`);
      if (mine?.state === 'active' || mine?.state === 'outgoing') throw conflict('buddy_exists');
      const now = Date.now();
      const state = mine?.state === 'incoming' ? 'active' : 'outgoing';
      await store.transaction(async (tx) => {
        const col = tx.collection(buddyLinksCollection);
        await col.upsert({ id: `${viewer.id}.${other.id}`, ownerId: viewer.id, otherId: other.id, state, createdAt: mine?.createdAt ?? now });
        await col.upsert({ id: `${other.id}.${viewer.id}`, ownerId: other.id, otherId: viewer.id, state: state === 'active' ? 'active' : 'incoming', createdAt: now });
      });
      if (state === 'outgoing') await notifications.notify([other.id], 'buddy_request', '/safety/buddies');
      return { handle: other.handle, displayName: other.displayName, state };
    },

    /** Ends a buddy pair or refuses a request, from either side. */
    async endBuddy(viewer: AccountDoc | null, handle: string): Promise<void> {
      ensureMember(viewer);
      const other = await accounts.byHandle(handle);
      if (!other || !(await links.get(`${viewer.id}.${other.id}`))) throw notFound('buddy_not_found');
      await store.transaction(async (tx) => {
        const col = tx.collection(buddyLinksCollection);
        await col.delete(`${viewer.id}.${other.id}`);
        await col.delete(`${other.id}.${viewer.id}`);
      });
    },

    // ---- check-ins ----------------------------------------------------------

    async startCheckin(viewer: AccountDoc | null, raw: unknown): Promise<CheckinView> {
      ensureMember(viewer);
      const input = parseInput(checkinInput, raw);
      const now = Date.now();
      const expectedEnd = input.expectedEnd ?? (input.minutes !== undefined ? now + input.minutes * 60_000 : undefined);
      if (expectedEnd === undefined) throw fieldError('minutes', 'validation.required');
      if (expectedEnd <= now) throw fieldError('minutes', 'validation.end_past');
      if (expectedEnd > now + MAX_AHEAD) throw fieldError('minutes', 'validation.end_too_far');
      const mine = new Set(await activeBuddyIds(viewer.id));
      const buddyIds: string[] = [];
      for (const handle of new Set(input.buddies)) {
        const buddy = await accounts.byHandle(handle);
        if (!buddy || !mine.has(buddy.id)) throw fieldError('buddies', 'validation.not_a_buddy', { handle });
        buddyIds.push(buddy.id);
      }
      let clientHint: string | null = null;
      let clientDigest: string | null = null;
      if (input.client) {
        const normalised = normaliseIdentifier(input.client, instance.settings().defaultCountry, 'client');
        clientHint = normalised.hint.hint;
        clientDigest = instance.keyedHash('checkin-client', normalised.canonical);
      }
      const doc: CheckinDoc = {
        id: newId(),
        ownerId: viewer.id,
        buddyIds,
        notes: input.notes,
        clientDigest,
        clientHint,
        expectedEnd,
        deadline: expectedEnd + config.graceMs,
        status: 'open',
        sos: false,
        alertedAt: null,
        handledBy: [],
        createdAt: now,
        closedAt: null,
        expiresAt: null,
      };
      await checkins.insert(doc);
      return checkinView(viewer, doc);
    },

    async myCheckins(viewer: AccountDoc | null): Promise<CheckinView[]> {
      ensureMember(viewer);
      const page = await checkins.find({ where: { ownerId: viewer.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 20 });
      return Promise.all(page.items.map((c) => checkinView(viewer, c)));
    },

    async getCheckin(viewer: AccountDoc | null, id: string): Promise<CheckinView> {
      const c = await visibleCheckin(viewer, id);
      return checkinView(viewer!, c);
    },

    /** "I'm safe". */
    async closeCheckin(viewer: AccountDoc | null, id: string): Promise<CheckinView> {
      const c = await visibleCheckin(viewer, id);
      if (c.ownerId !== viewer!.id) throw forbidden('not_owner');
      if (c.status === 'closed') throw conflict('checkin_closed');
      const now = Date.now();
      const updated = (await checkins.patch(c.id, { status: 'closed', closedAt: now, expiresAt: now + config.checkinRetentionMs }))!;
      if (c.status === 'alerted') {
        await notifications.notify(c.buddyIds, 'buddy_safe', `/safety/checkins/${c.id}`);
        for (const buddy of c.buddyIds) publish('account', buddy, 'buddy-safe', { checkinId: c.id });
      }
      return checkinView(viewer!, updated);
    },

    async extendCheckin(viewer: AccountDoc | null, id: string, raw: unknown): Promise<CheckinView> {
      const c = await visibleCheckin(viewer, id);
      if (c.ownerId !== viewer!.id) throw forbidden('not_owner');
      if (c.status !== 'open') throw conflict('checkin_closed');
      const { minutes } = parseInput(extendInput, raw);
      const expectedEnd = Math.max(c.expectedEnd, Date.now()) + minutes * 60_000;
      if (expectedEnd > Date.now() + MAX_AHEAD) throw fieldError('minutes', 'validation.end_too_far');
      const updated = (await checkins.patch(c.id, { expectedEnd, deadline: expectedEnd + config.graceMs }))!;
      return checkinView(viewer!, updated);
    },

    /** SOS: alerts the buddies of the running check-in now, or all active buddies when none runs. */
    async sos(viewer: AccountDoc | null): Promise<CheckinView> {
      ensureMember(viewer);
      const open = (await checkins.find({ where: { ownerId: viewer.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 5 })).items.find((c) => c.status === 'open');
      let c = open;
      if (!c) {
        const buddyIds = await activeBuddyIds(viewer.id);
        if (buddyIds.length === 0) throw unprocessable('no_buddies');
        const now = Date.now();
        c = { id: newId(), ownerId: viewer.id, buddyIds, notes: '', clientDigest: null, clientHint: null, expectedEnd: now, deadline: now, status: 'open', sos: true, alertedAt: null, handledBy: [], createdAt: now, closedAt: null, expiresAt: null };
        await checkins.insert(c);
      }
      return checkinView(viewer, await raiseAlarm(c, true));
    },

    /** A buddy says "I'm handling this", so the others know someone is on it. */
    async handle(viewer: AccountDoc | null, id: string): Promise<CheckinView> {
      const c = await visibleCheckin(viewer, id);
      if (!c.buddyIds.includes(viewer!.id)) throw forbidden('not_buddy');
      const updated = await store.transaction(async (tx) => {
        const col = tx.collection(checkinsCollection);
        const fresh = (await col.get(c.id))!;
        if (fresh.handledBy.includes(viewer!.id)) return fresh;
        return (await col.patch(c.id, { handledBy: [...fresh.handledBy, viewer!.id] }))!;
      });
      for (const other of [c.ownerId, ...c.buddyIds]) publish('account', other, 'buddy-handled', { checkinId: c.id });
      return checkinView(viewer!, updated);
    },

    /** Check-ins of others where `viewer` is a chosen buddy and an alarm is raised. */
    async alarmsFor(viewer: AccountDoc | null): Promise<CheckinView[]> {
      ensureMember(viewer);
      const recent = await notifications.recent(viewer.id);
      const ids = [...new Set(recent.filter((n) => n.kind === 'buddy_overdue' || n.kind === 'buddy_sos').map((n) => n.url.split('/').pop()!))];
      const found = (await checkins.getMany(ids)).filter((c) => c.status === 'alerted' && c.buddyIds.includes(viewer.id));
      return Promise.all(found.map((c) => checkinView(viewer, c)));
    },

    // ---- alerts -------------------------------------------------------------

    async postAlert(viewer: AccountDoc | null, raw: unknown): Promise<AlertView> {
      ensureMember(viewer);
      const input = parseInput(alertInput, raw);
      const area = areas.mustExist(input.area);
      const now = Date.now();
      const doc: AlertDoc = { id: newId(), areaId: area.id, authorId: viewer.id, kind: input.kind, text: input.text, createdAt: now, expiresAt: now + input.hours * 3_600_000 };
      await alerts.insert(doc);
      const subscribers = (await areas.subscribers(area.id)).filter((id) => id !== viewer.id);
      await notifications.notify(subscribers, 'danger_alert', '/safety/alerts');
      return { id: doc.id, area: { id: area.id, name: area.name }, kind: doc.kind, text: doc.text, createdAt: doc.createdAt, expiresAt: doc.expiresAt, mine: true };
    },

    async listAlerts(viewer: AccountDoc | null, areaId?: string): Promise<AlertView[]> {
      ensureMember(viewer);
      if (areaId) areas.mustExist(areaId);
      const page = areaId
        ? await alerts.find({ where: { areaId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 })
        : await alerts.find({ orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 });
      return page.items.flatMap((a) => {
        const area = areas.get(a.areaId);
        return area ? [{ id: a.id, area: { id: area.id, name: area.name }, kind: a.kind, text: a.text, createdAt: a.createdAt, expiresAt: a.expiresAt, mine: a.authorId === viewer.id }] : [];
      });
    },

    async removeAlert(viewer: AccountDoc | null, id: string): Promise<void> {
      ensureMember(viewer);
      const alert = await alerts.get(id);
      if (!alert) throw notFound('alert_not_found');
      if (alert.authorId !== viewer.id && viewer.role === 'member') throw forbidden('moderator_only');
      await alerts.delete(id);
    },

    // ---- incidents ------------------------------------------------------------

    isResponder,

    async reportIncident(viewer: AccountDoc | null, raw: unknown): Promise<IncidentView> {
      ensureMember(viewer);
      const input = parseInput(incidentInput, raw);
      const now = Date.now();
      const doc: IncidentDoc = { id: newId(), reporterId: viewer.id, ...input, status: 'new', createdAt: now, updatedAt: now, closedAt: null, expiresAt: null };
      await incidents.insert(doc);
      const responders = await accounts.responderIds();
      await notifications.notify(responders.filter((id) => id !== viewer.id), 'incident_new', `/safety/incidents/${doc.id}`);
      for (const r of responders) publish('account', r, 'incident', { incidentId: doc.id });
      return getIncident(viewer, doc.id);
    },

    getIncident,

    async myIncidents(viewer: AccountDoc | null): Promise<IncidentDoc[]> {
      ensureMember(viewer);
      return (await incidents.find({ where: { reporterId: viewer.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 50 })).items;
    },

    /** The responders' queue: open incidents by status, oldest first. */
    async queue(viewer: AccountDoc | null): Promise<IncidentDoc[]> {
      ensureMember(viewer);
      if (!isResponder(viewer)) throw forbidden('responder_only');
      const out: IncidentDoc[] = [];
      for (const status of ['new', 'acknowledged', 'in_progress'] as const) {
        out.push(...(await incidents.find({ where: { status }, orderBy: { field: 'createdAt' }, limit: 100 })).items);
      }
      return out;
    },

    async setIncidentStatus(viewer: AccountDoc | null, id: string, raw: unknown): Promise<IncidentView> {
      ensureMember(viewer);
      if (!isResponder(viewer)) throw forbidden('responder_only');
      const incident = await incidents.get(id);
      if (!incident) throw notFound('incident_not_found');
      const { status } = parseInput(incidentStatusInput, raw);
      if (incident.status === 'closed') throw conflict('incident_closed');
      const now = Date.now();
      const closing = status === 'closed';
      await store.transaction(async (tx) => {
        await tx.collection(incidentsCollection).patch(id, { status, updatedAt: now, ...(closing ? { closedAt: now, expiresAt: now + config.incidentRetentionMs } : {}) });
        if (closing) {
          const mcol = tx.collection(incidentMessagesCollection);
          for (const m of (await mcol.find({ where: { incidentId: id }, orderBy: { field: 'createdAt' }, limit: 1000 })).items) {
            await mcol.patch(m.id, { expiresAt: now + config.incidentRetentionMs });
          }
        }
      });
      if (incident.reporterId) await notifications.notify([incident.reporterId], 'incident_update', `/safety/incidents/${id}`);
      return getIncident(viewer, id);
    },

    /** A message in the incident's private thread; responders may add internal notes. */
    async addIncidentMessage(viewer: AccountDoc | null, id: string, raw: unknown): Promise<IncidentView> {
      ensureMember(viewer);
      const incident = await incidents.get(id);
      const responder = isResponder(viewer);
      if (!incident || (incident.reporterId !== viewer.id && !responder)) throw notFound('incident_not_found');
      if (incident.status === 'closed') throw conflict('incident_closed');
      const input = parseInput(incidentMessageInput, raw);
      const html = renderBody(input.body);
      const fromResponder = responder && incident.reporterId !== viewer.id;
      const internal = fromResponder && input.internal;
      const doc: IncidentMessageDoc = { id: newId(), incidentId: id, authorId: viewer.id, fromResponder, internal, body: input.body, html, createdAt: Date.now(), expiresAt: null };
      await messages.insert(doc);
      if (fromResponder && !internal && incident.reporterId) await notifications.notify([incident.reporterId], 'incident_update', `/safety/incidents/${id}`);
      if (!fromResponder) {
        const responders = await accounts.responderIds();
        await notifications.notify(responders, 'incident_message', `/safety/incidents/${id}`);
      }
      return getIncident(viewer, id);
    },
  };
}

export type SafetyService = ReturnType<typeof createSafetyService>;
