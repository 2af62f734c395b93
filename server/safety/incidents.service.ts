import type { Store } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import { newId } from '../crypto.js';
import { conflict, forbidden, notFound, unauthorized } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isAdmin, type AccountsService } from '../accounts/accounts.service.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import type { Publish } from '../core/live.js';
import { renderBody } from '../content/markdown.js';
import { incidentMessagesCollection, incidentsCollection, type IncidentDoc, type IncidentMessageDoc } from './safety.collections.js';
import { incidentInput, incidentMessageInput, incidentStatusInput } from './safety.schemas.js';

export interface IncidentsDeps {
  readonly store: Store;
  readonly accounts: AccountsService;
  readonly notifications: NotificationsService;
  readonly hooks: AccountHooks;
  readonly publish: Publish;
  /** Closed incidents are deleted this long after closing. */
  readonly retentionMs: number;
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

export const isResponder = (a: AccountDoc | null): boolean => !!a && a.status === 'active' && (a.responder === true || isAdmin(a));

function ensureMember(viewer: AccountDoc | null): asserts viewer is AccountDoc {
  if (!viewer) throw unauthorized('login_required');
  if (viewer.status !== 'active') throw forbidden('pending_approval');
}

/** Incident response: a member reports what happened, responders answer in a private thread. */
export class IncidentsService {
  private readonly store: Store;
  private readonly accounts: AccountsService;
  private readonly notifications: NotificationsService;
  private readonly publish: Publish;
  private readonly retentionMs: number;
  private readonly incidents;
  private readonly messages;

  constructor(deps: IncidentsDeps) {
    this.store = deps.store;
    this.accounts = deps.accounts;
    this.notifications = deps.notifications;
    this.publish = deps.publish;
    this.retentionMs = deps.retentionMs;
    this.incidents = deps.store.collection(incidentsCollection);
    this.messages = deps.store.collection(incidentMessagesCollection);
    deps.hooks.onDeleted(async (tx, accountId) => {
      const icol = tx.collection(incidentsCollection);
      await eachPage(
        (after) => icol.find({ where: { reporterId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after }),
        async (i) => {
          await tx.collection(incidentMessagesCollection).deleteWhere({ incidentId: i.id });
          await icol.delete(i.id);
        },
      );
    });
  }

  isResponder(viewer: AccountDoc | null): boolean {
    return isResponder(viewer);
  }

  async report(viewer: AccountDoc | null, raw: unknown): Promise<IncidentView> {
    ensureMember(viewer);
    const input = parseInput(incidentInput, raw);
    const now = Date.now();
    const doc: IncidentDoc = { id: newId(), reporterId: viewer.id, ...input, status: 'new', createdAt: now, updatedAt: now, closedAt: null, expiresAt: null };
    await this.incidents.insert(doc);
    const responders = await this.accounts.responderIds();
    await this.notifications.notify(responders.filter((id) => id !== viewer.id), 'incident_new', `/safety/incidents/${doc.id}`);
    for (const r of responders) this.publish('account', r, 'incident', { incidentId: doc.id });
    return this.get(viewer, doc.id);
  }

  /** Whether an incident is still kept (its photos live as long as it does: server/photos.ts). */
  async exists(id: string): Promise<boolean> {
    return (await this.incidents.get(id)) !== null;
  }

  async get(viewer: AccountDoc | null, id: string): Promise<IncidentView> {
    ensureMember(viewer);
    const incident = id.length <= 64 ? await this.incidents.get(id) : null;
    const responder = isResponder(viewer);
    if (!incident || (incident.reporterId !== viewer.id && !responder)) throw notFound('incident_not_found');
    const thread = (await this.messages.find({ where: { incidentId: incident.id }, orderBy: { field: 'createdAt' }, limit: 500 })).items.filter((m) => responder || !m.internal);
    const reporter = incident.reporterId ? ((await this.accounts.publicNames([incident.reporterId])).get(incident.reporterId)?.handle ?? null) : null;
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

  async mine(viewer: AccountDoc | null): Promise<IncidentDoc[]> {
    ensureMember(viewer);
    return (await this.incidents.find({ where: { reporterId: viewer.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 50 })).items;
  }

  /** The responders' queue: open incidents by status, oldest first. */
  async queue(viewer: AccountDoc | null): Promise<IncidentDoc[]> {
    ensureMember(viewer);
    if (!isResponder(viewer)) throw forbidden('responder_only');
    const out: IncidentDoc[] = [];
    for (const status of ['new', 'acknowledged', 'in_progress'] as const) {
      out.push(...(await this.incidents.find({ where: { status }, orderBy: { field: 'createdAt' }, limit: 100 })).items);
    }
    return out;
  }

  async setStatus(viewer: AccountDoc | null, id: string, raw: unknown): Promise<IncidentView> {
    ensureMember(viewer);
    if (!isResponder(viewer)) throw forbidden('responder_only');
    const incident = await this.incidents.get(id);
    if (!incident) throw notFound('incident_not_found');
    const { status } = parseInput(incidentStatusInput, raw);
    if (incident.status === 'closed') throw conflict('incident_closed');
    const now = Date.now();
    const closing = status === 'closed';
    const expiresAt = now + this.retentionMs;
    await this.store.transaction(async (tx) => {
      await tx.collection(incidentsCollection).patch(id, { status, updatedAt: now, ...(closing ? { closedAt: now, expiresAt } : {}) });
      if (closing) {
        const mcol = tx.collection(incidentMessagesCollection);
        for (const m of (await mcol.find({ where: { incidentId: id }, orderBy: { field: 'createdAt' }, limit: 1000 })).items) {
          await mcol.patch(m.id, { expiresAt });
        }
      }
    });
    if (incident.reporterId) await this.notifications.notify([incident.reporterId], 'incident_update', `/safety/incidents/${id}`);
    return this.get(viewer, id);
  }

  /** A message in the incident's private thread; responders may add internal notes. */
  async addMessage(viewer: AccountDoc | null, id: string, raw: unknown): Promise<IncidentView> {
    ensureMember(viewer);
    const incident = await this.incidents.get(id);
    const responder = isResponder(viewer);
    if (!incident || (incident.reporterId !== viewer.id && !responder)) throw notFound('incident_not_found');
    if (incident.status === 'closed') throw conflict('incident_closed');
    const input = parseInput(incidentMessageInput, raw);
    const html = renderBody(input.body);
    const fromResponder = responder && incident.reporterId !== viewer.id;
    const internal = fromResponder && input.internal;
    const doc: IncidentMessageDoc = { id: newId(), incidentId: id, authorId: viewer.id, fromResponder, internal, body: input.body, html, createdAt: Date.now(), expiresAt: null };
    await this.messages.insert(doc);
    if (fromResponder && !internal && incident.reporterId) await this.notifications.notify([incident.reporterId], 'incident_update', `/safety/incidents/${id}`);
    if (!fromResponder) {
      const responders = await this.accounts.responderIds();
      await this.notifications.notify(responders, 'incident_message', `/safety/incidents/${id}`);
    }
    return this.get(viewer, id);
  }
}
