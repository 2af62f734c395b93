import type { Store } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import { newId } from '../crypto.js';
import type { Clock } from '../core/clock.js';
import { conflict, fieldError, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import type { AreasService } from '../areas/areas.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import type { Publish } from '../core/live.js';
import type { InstanceService } from '../instance/instance.service.js';
import { normaliseIdentifier } from '../reviews/identifiers.js';
import type { PushService } from './push.service.js';
import { alertsCollection, buddyLinksCollection, checkinsCollection, type AlertDoc, type BuddyLinkDoc, type CheckinDoc } from './safety.collections.js';
import { alertInput, buddyRequestInput, checkinInput, extendInput } from './safety.schemas.js';

export interface SafetyConfig {
  /** Time after the expected end before buddies are alerted. */
  readonly graceMs: number;
  /** Closed or alerted check-ins (with their notes) are deleted this long after. */
  readonly checkinRetentionMs: number;
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
  readonly config: SafetyConfig;
  /** When deadlines pass: the system clock, or a test's. */
  readonly clock: Clock;
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
  /** For a buddy facing this alarm: what to do next. Null for the worker and while no alarm is raised. */
  readonly nextSteps: NextSteps | null;
}

/** What a buddy facing an alarm needs: where the worker said they were going, and whom to call. */
export interface NextSteps {
  /** The notes of this check-in or, for an SOS without any, of the worker's last check-in that named this buddy. */
  readonly notes: string;
  /** When those notes were written. */
  readonly notesAt: number | null;
  /** The other buddies told of this alarm, who may be called. */
  readonly otherBuddies: readonly string[];
  /** What the organisation asks buddies to do and how to reach it, as its admin set it; empty when not set. */
  readonly contact: string;
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

const DAY = 86_400_000;
const MAX_AHEAD = DAY;

function ensureMember(viewer: AccountDoc | null): asserts viewer is AccountDoc {
  if (!viewer) throw unauthorized('login_required');
  if (viewer.status !== 'active') throw forbidden('pending_approval');
}

/**
 * Buddy check-ins, SOS and danger alerts: the tools workers asked for to look after each other without calling the
 * police. (Incident response is in incidents.service.ts.)
 */
export class SafetyService {
  private readonly store: Store;
  private readonly accounts: AccountsService;
  private readonly areas: AreasService;
  private readonly notifications: NotificationsService;
  private readonly instance: InstanceService;
  private readonly push: PushService;
  private readonly publish: Publish;
  private readonly config: SafetyConfig;
  private readonly clock: Clock;
  private readonly links;
  private readonly checkins;
  private readonly alerts;

  constructor(deps: SafetyDeps) {
    this.store = deps.store;
    this.accounts = deps.accounts;
    this.areas = deps.areas;
    this.notifications = deps.notifications;
    this.instance = deps.instance;
    this.push = deps.push;
    this.publish = deps.publish;
    this.config = deps.config;
    this.clock = deps.clock;
    this.links = deps.store.collection(buddyLinksCollection);
    this.checkins = deps.store.collection(checkinsCollection);
    this.alerts = deps.store.collection(alertsCollection);
    deps.hooks.onDeleted(async (tx, accountId) => {
      const lcol = tx.collection(buddyLinksCollection);
      for (const l of (await lcol.find({ where: { ownerId: accountId }, orderBy: { field: 'createdAt' }, limit: 200 })).items) {
        await lcol.delete(l.id);
        await lcol.delete(`${l.otherId}.${accountId}`);
      }
      const ccol = tx.collection(checkinsCollection);
      await eachPage(
        (after) => ccol.find({ where: { ownerId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after }),
        (c) => ccol.delete(c.id),
      );
    });
  }

  /**
   * Alerts every open check-in whose deadline passed; returns how many this call alerted. The app runs it every
   * scanIntervalMs, and once at start for the deadlines that passed while no process ran, under a job lease.
   */
  async alertOverdue(now = this.clock.now()): Promise<number> {
    const due = await this.checkins.find({ where: { status: 'open' }, orderBy: { field: 'deadline' }, range: { lte: now }, limit: 200 });
    let alerted = 0;
    for (const c of due.items) if (await this.raiseAlarm(c, false)) alerted += 1;
    return alerted;
  }

  // ---- buddies ----------------------------------------------------------

  async buddies(viewer: AccountDoc | null): Promise<BuddyView[]> {
    ensureMember(viewer);
    const list = await this.linksOf(viewer.id);
    const names = await this.accounts.publicNames(list.map((l) => l.otherId));
    return list.filter((l) => names.has(l.otherId)).map((l) => ({ ...names.get(l.otherId)!, state: l.state }));
  }

  /** Whether both members agreed to be buddies (private conversations between buddies need no request). */
  async areBuddies(accountId: string, otherId: string): Promise<boolean> {
    return (await this.links.get(`${accountId}.${otherId}`))?.state === 'active';
  }

  /** Asks a member to be buddies; if they had asked already, this accepts. */
  async requestBuddy(viewer: AccountDoc | null, raw: unknown): Promise<BuddyView> {
    ensureMember(viewer);
    const { handle } = parseInput(buddyRequestInput, raw);
    const other = await this.accounts.byHandle(handle);
    if (!other || other.status !== 'active') throw notFound('account_not_found');
    if (other.id === viewer.id) throw unprocessable('buddy_self');
    const mine = await this.links.get(`${viewer.id}.${other.id}`);
    if (mine?.state === 'active' || mine?.state === 'outgoing') throw conflict('buddy_exists');
    const now = Date.now();
    const state = mine?.state === 'incoming' ? 'active' : 'outgoing';
    await this.store.transaction(async (tx) => {
      const col = tx.collection(buddyLinksCollection);
      await col.upsert({ id: `${viewer.id}.${other.id}`, ownerId: viewer.id, otherId: other.id, state, createdAt: mine?.createdAt ?? now });
      await col.upsert({ id: `${other.id}.${viewer.id}`, ownerId: other.id, otherId: viewer.id, state: state === 'active' ? 'active' : 'incoming', createdAt: now });
    });
    if (state === 'outgoing') await this.notifications.notify([other.id], 'buddy_request', '/safety/buddies');
    return { handle: other.handle, displayName: other.displayName, state };
  }

  /** Ends a buddy pair or refuses a request, from either side. */
  async endBuddy(viewer: AccountDoc | null, handle: string): Promise<void> {
    ensureMember(viewer);
    const other = await this.accounts.byHandle(handle);
    if (!other || !(await this.links.get(`${viewer.id}.${other.id}`))) throw notFound('buddy_not_found');
    await this.store.transaction(async (tx) => {
      const col = tx.collection(buddyLinksCollection);
      await col.delete(`${viewer.id}.${other.id}`);
      await col.delete(`${other.id}.${viewer.id}`);
    });
  }

  // ---- check-ins ----------------------------------------------------------

  async startCheckin(viewer: AccountDoc | null, raw: unknown): Promise<CheckinView> {
    ensureMember(viewer);
    const input = parseInput(checkinInput, raw);
    const now = this.clock.now();
    const expectedEnd = input.expectedEnd ?? (input.minutes !== undefined ? now + input.minutes * 60_000 : undefined);
    if (expectedEnd === undefined) throw fieldError('minutes', 'validation.required');
    if (expectedEnd <= now) throw fieldError('minutes', 'validation.end_past');
    if (expectedEnd > now + MAX_AHEAD) throw fieldError('minutes', 'validation.end_too_far');
    const mine = new Set(await this.activeBuddyIds(viewer.id));
    const buddyIds: string[] = [];
    for (const handle of new Set(input.buddies)) {
      const buddy = await this.accounts.byHandle(handle);
      if (!buddy || !mine.has(buddy.id)) throw fieldError('buddies', 'validation.not_a_buddy', { handle });
      buddyIds.push(buddy.id);
    }
    // Only the hint the buddies read is kept: a digest of the identifier, keyed with a secret in the same database,
    // would let whoever seized a copy try every phone number until one matched.
    const clientHint = input.client ? normaliseIdentifier(input.client, this.instance.settings().defaultCountry, 'client').hint.hint : null;
    const doc: CheckinDoc = {
      id: newId(),
      ownerId: viewer.id,
      buddyIds,
      notes: input.notes,
      clientHint,
      expectedEnd,
      deadline: expectedEnd + this.config.graceMs,
      status: 'open',
      sos: false,
      alertedAt: null,
      handledBy: [],
      createdAt: now,
      closedAt: null,
      expiresAt: null,
    };
    await this.checkins.insert(doc);
    return this.checkinView(viewer, doc);
  }

  async myCheckins(viewer: AccountDoc | null): Promise<CheckinView[]> {
    ensureMember(viewer);
    const page = await this.checkins.find({ where: { ownerId: viewer.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 20 });
    return Promise.all(page.items.map((c) => this.checkinView(viewer, c)));
  }

  /** Whether a check-in is still kept (its photos go with it: server/photos.ts). */
  async checkinExists(id: string): Promise<boolean> {
    return (await this.checkins.get(id)) !== null;
  }

  async getCheckin(viewer: AccountDoc | null, id: string): Promise<CheckinView> {
    const c = await this.visibleCheckin(viewer, id);
    return this.checkinView(viewer!, c);
  }

  /** "I'm safe". */
  async closeCheckin(viewer: AccountDoc | null, id: string): Promise<CheckinView> {
    const c = await this.visibleCheckin(viewer, id);
    if (c.ownerId !== viewer!.id) throw forbidden('not_owner');
    if (c.status === 'closed') throw conflict('checkin_closed');
    const now = this.clock.now();
    const closing = { status: 'closed', closedAt: now, expiresAt: now + this.config.checkinRetentionMs } as const;
    // Conditional on the status read, so that an alarm raised meanwhile (by a scan in any process) is followed by "safe".
    let updated = await this.checkins.patchIf(c.id, { status: c.status }, closing);
    if (!updated && c.status === 'open') updated = await this.checkins.patchIf(c.id, { status: 'alerted' }, closing);
    if (!updated) throw conflict('checkin_closed');
    if (updated.alertedAt !== null) {
      await this.notifications.notify(c.buddyIds, 'buddy_safe', `/safety/checkins/${c.id}`);
      for (const buddy of c.buddyIds) this.publish('account', buddy, 'buddy-safe', { checkinId: c.id });
    }
    return this.checkinView(viewer!, updated);
  }

  async extendCheckin(viewer: AccountDoc | null, id: string, raw: unknown): Promise<CheckinView> {
    const c = await this.visibleCheckin(viewer, id);
    if (c.ownerId !== viewer!.id) throw forbidden('not_owner');
    if (c.status !== 'open') throw conflict('checkin_closed');
    const { minutes } = parseInput(extendInput, raw);
    const now = this.clock.now();
    const expectedEnd = Math.max(c.expectedEnd, now) + minutes * 60_000;
    if (expectedEnd > now + MAX_AHEAD) throw fieldError('minutes', 'validation.end_too_far');
    // An alarm raised meanwhile stands: the buddies were told, so the deadline no longer moves.
    const updated = await this.checkins.patchIf(c.id, { status: 'open' }, { expectedEnd, deadline: expectedEnd + this.config.graceMs });
    if (!updated) throw conflict('checkin_closed');
    return this.checkinView(viewer!, updated);
  }

  /** SOS: alerts the buddies of the running check-in now, or all active buddies when none runs. */
  async sos(viewer: AccountDoc | null): Promise<CheckinView> {
    ensureMember(viewer);
    const recent = await this.checkins.find({ where: { ownerId: viewer.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 5 });
    let c = recent.items.find((x) => x.status === 'open');
    if (!c) {
      const buddyIds = await this.activeBuddyIds(viewer.id);
      if (buddyIds.length === 0) throw unprocessable('no_buddies');
      const now = this.clock.now();
      c = { id: newId(), ownerId: viewer.id, buddyIds, notes: '', clientHint: null, expectedEnd: now, deadline: now, status: 'open', sos: true, alertedAt: null, handledBy: [], createdAt: now, closedAt: null, expiresAt: null };
      await this.checkins.insert(c);
    }
    const raised = await this.raiseAlarm(c, true);
    return this.checkinView(viewer, raised ?? (await this.checkins.get(c.id)) ?? c);
  }

  /** A buddy says "I'm handling this", so the others know someone is on it. */
  async handle(viewer: AccountDoc | null, id: string): Promise<CheckinView> {
    const c = await this.visibleCheckin(viewer, id);
    if (!c.buddyIds.includes(viewer!.id)) throw forbidden('not_buddy');
    const updated = await this.store.transaction(async (tx) => {
      const col = tx.collection(checkinsCollection);
      const fresh = (await col.get(c.id))!;
      if (fresh.handledBy.includes(viewer!.id)) return fresh;
      return (await col.patch(c.id, { handledBy: [...fresh.handledBy, viewer!.id] }))!;
    });
    for (const other of [c.ownerId, ...c.buddyIds]) this.publish('account', other, 'buddy-handled', { checkinId: c.id });
    return this.checkinView(viewer!, updated);
  }

  /**
   * Check-ins of others where `viewer` is a chosen buddy and an alarm is raised, read from the check-ins
   * themselves: each stays listed until the worker is safe, however many notifications arrive after it.
   */
  async alarmsFor(viewer: AccountDoc | null): Promise<CheckinView[]> {
    ensureMember(viewer);
    const found: CheckinDoc[] = [];
    await eachPage(
      (after) => this.checkins.find({ where: { status: 'alerted' }, orderBy: { field: 'deadline', direction: 'desc' }, limit: 200, after }),
      (c) => {
        if (c.buddyIds.includes(viewer.id)) found.push(c);
      },
    );
    return Promise.all(found.map((c) => this.checkinView(viewer, c)));
  }

  // ---- alerts -------------------------------------------------------------

  async postAlert(viewer: AccountDoc | null, raw: unknown): Promise<AlertView> {
    ensureMember(viewer);
    const input = parseInput(alertInput, raw);
    const area = this.areas.mustExist(input.area);
    const now = Date.now();
    const doc: AlertDoc = { id: newId(), areaId: area.id, authorId: viewer.id, kind: input.kind, text: input.text, createdAt: now, expiresAt: now + input.hours * 3_600_000 };
    await this.alerts.insert(doc);
    const subscribers = (await this.areas.subscribers(area.id)).filter((id) => id !== viewer.id);
    await this.notifications.notify(subscribers, 'danger_alert', '/safety/alerts');
    return { id: doc.id, area: { id: area.id, name: area.name }, kind: doc.kind, text: doc.text, createdAt: doc.createdAt, expiresAt: doc.expiresAt, mine: true };
  }

  async listAlerts(viewer: AccountDoc | null, areaId?: string): Promise<AlertView[]> {
    ensureMember(viewer);
    if (areaId) this.areas.mustExist(areaId);
    const page = areaId
      ? await this.alerts.find({ where: { areaId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 })
      : await this.alerts.find({ orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 });
    return page.items.flatMap((a) => {
      const area = this.areas.get(a.areaId);
      return area ? [{ id: a.id, area: { id: area.id, name: area.name }, kind: a.kind, text: a.text, createdAt: a.createdAt, expiresAt: a.expiresAt, mine: a.authorId === viewer.id }] : [];
    });
  }

  async removeAlert(viewer: AccountDoc | null, id: string): Promise<void> {
    ensureMember(viewer);
    const alert = await this.alerts.get(id);
    if (!alert) throw notFound('alert_not_found');
    if (alert.authorId !== viewer.id && viewer.role === 'member') throw forbidden('moderator_only');
    await this.alerts.delete(id);
  }

  // ---- internals ----------------------------------------------------------

  private async linksOf(ownerId: string): Promise<BuddyLinkDoc[]> {
    return (await this.links.find({ where: { ownerId }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
  }

  private async activeBuddyIds(ownerId: string): Promise<string[]> {
    return (await this.linksOf(ownerId)).filter((l) => l.state === 'active').map((l) => l.otherId);
  }

  private async checkinView(viewer: AccountDoc, c: CheckinDoc): Promise<CheckinView> {
    const names = await this.accounts.publicNames([c.ownerId, ...c.buddyIds, ...c.handledBy]);
    const name = (id: string) => names.get(id)?.handle ?? '?';
    const facing = c.status === 'alerted' && c.ownerId !== viewer.id;
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
      nextSteps: facing
        ? { ...(await this.lastNotes(viewer, c)), otherBuddies: c.buddyIds.filter((id) => id !== viewer.id).map(name), contact: this.instance.settings().alarmContact }
        : null,
    };
  }

  /**
   * An SOS sent with no check-in running has no notes of its own: the worker's last ones for this buddy help. An
   * overdue check-in without notes gets none from an older one, which may be about another place.
   */
  private async lastNotes(viewer: AccountDoc, c: CheckinDoc): Promise<{ notes: string; notesAt: number | null }> {
    if (c.notes || !c.sos) return { notes: c.notes, notesAt: c.notes ? c.createdAt : null };
    const recent = await this.checkins.find({ where: { ownerId: c.ownerId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 20 });
    const last = recent.items.find((x) => x.notes && x.buddyIds.includes(viewer.id));
    return last ? { notes: last.notes, notesAt: last.createdAt } : { notes: '', notesAt: null };
  }

  private async visibleCheckin(viewer: AccountDoc | null, id: string): Promise<CheckinDoc> {
    ensureMember(viewer);
    const c = id.length <= 64 ? await this.checkins.get(id) : null;
    if (!c || (c.ownerId !== viewer.id && !c.buddyIds.includes(viewer.id))) throw notFound('checkin_not_found');
    return c;
  }

  /**
   * Tells the chosen buddies at once: live on open pages, on their next page view, and by Web Push. The check-in
   * turns from open to alerted by a conditional write (patchIf) that only one caller wins, whichever process
   * it runs in, so two scanners (or a scan and an SOS) finding the same deadline alert only once; an SOS still
   * raises an overdue alarm to SOS, once. The buddies' notifications are written in the same transaction: a crash
   * or a full disk leaves either both or neither, and an alarm left open is raised again by the next scan. Returns
   * the alerted check-in, or null when another caller had raised this alarm already.
   */
  private async raiseAlarm(c: CheckinDoc, sos: boolean): Promise<CheckinDoc | null> {
    const now = this.clock.now();
    const url = `/safety/checkins/${c.id}`;
    const kind = sos ? 'buddy_sos' : 'buddy_overdue';
    const alerted = { status: 'alerted', alertedAt: now, expiresAt: now + this.config.checkinRetentionMs } as const;
    const updated = await this.store.transaction(async (tx) => {
      const col = tx.collection(checkinsCollection);
      // An open check-in's sos flag changes only with its status, so the one read is still the one stored when this wins.
      const won =
        (await col.patchIf(c.id, { status: 'open' }, { ...alerted, sos: c.sos || sos })) ??
        (sos ? await col.patchIf(c.id, { status: 'alerted', sos: false }, { ...alerted, sos: true }) : null);
      if (won) await this.notifications.write(tx, won.buddyIds, kind, url);
      return won;
    });
    if (!updated) return null;
    this.notifications.announce(updated.buddyIds, kind, url);
    for (const buddy of updated.buddyIds) this.publish('account', buddy, 'buddy-alert', { checkinId: c.id, sos });
    await this.push.notify(updated.buddyIds, url);
    return updated;
  }
}
