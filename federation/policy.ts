import { z } from 'zod';
import { parseInput } from '../server/core/validate.js';
import type { Logger } from '../server/logger.js';
import { eachPage } from '../server/store/paging.js';
import type { Store } from '../server/store/port.js';
import { apStreamItemsCollection } from './apex.collections.js';
import type { Apex } from './apex-types.js';
import type { PortApexStore } from './apex-store.js';
import { federationError } from './errors.js';
import {
  apFollowsCollection,
  apPolicyRulesCollection,
  apRemotePostsCollection,
  apSettingsCollection,
  type ApPolicyRuleDoc,
  type FederationMode,
} from './federation.collections.js';
import { hostOfInput, type Iris } from './iris.js';
import { hostOf } from './as.js';
import type { SettingsRevision } from './settings-revision.js';

export const ruleInput = z.strictObject({
  /** A domain (`example.org`, `host:port`, subdomains included) or a remote actor's IRI. */
  target: z.string().trim().min(1).max(500),
  policy: z.enum(['deny', 'allow']),
  /** Why, for the other admins; never shown outside the admin pages. */
  reason: z.string().trim().max(500).default(''),
});

export const modeInput = z.strictObject({ mode: z.enum(['open', 'allowlist']) });

export interface PolicyView {
  readonly mode: FederationMode;
  readonly rules: readonly ApPolicyRuleDoc[];
}

export interface PolicyDeps {
  readonly store: Store;
  readonly apex: Apex;
  readonly apexStore: PortApexStore;
  readonly iris: Iris;
  readonly logger: Logger;
  /** Tells the other processes of a change, and this one of theirs (settings-revision.ts). */
  readonly revision: SettingsRevision;
}

/** A rule for `example.org` covers `example.org`, `example.org:8443` and every subdomain. */
function ruleCovers(rule: string, host: string): boolean {
  const hostname = host.replace(/:\d+$/, '');
  return [host, hostname].some((h) => h === rule || h.endsWith(`.${rule}`));
}

/**
 * Which servers and actors this instance talks to: a deny list
 * (defederation), or an allow-list mode in which only listed domains are
 * reached. Checked on every inbound request (before any key is fetched) and
 * every outbound one (fetch.ts), so a refused server can neither deliver
 * nor be fetched from, and a new rule also drops what is already here: the
 * server's followers, our follows of its actors, and its mirrored posts.
 * Rules are few and read on every request, so they are held in memory, in
 * every process, and loaded again when another process changes them: callers
 * await fresh() before they ask (settings-revision.ts).
 */
export class FederationPolicy {
  private mode: FederationMode = 'open';
  private domainRules = new Map<string, ApPolicyRuleDoc>();
  private actorBlocks = new Set<string>();
  private partnerHosts: ReadonlySet<string> = new Set();

  constructor(private readonly deps: PolicyDeps) {}

  async load(): Promise<void> {
    const { store } = this.deps;
    this.mode = (await store.collection(apSettingsCollection).get('mode'))?.value === 'allowlist' ? 'allowlist' : 'open';
    const domains = new Map<string, ApPolicyRuleDoc>();
    const actors = new Set<string>();
    await eachPage(
      (after) => store.collection(apPolicyRulesCollection).find({ orderBy: { field: 'createdAt' }, limit: 500, after }),
      (rule) => {
        if (rule.kind === 'actor') actors.add(rule.id);
        else domains.set(rule.id, rule);
      },
    );
    this.domainRules = domains;
    this.actorBlocks = actors;
  }

  /** Loads the rules again if another process changed them since. */
  fresh(): Promise<void> {
    return this.deps.revision.current();
  }

  /** Partner instances of the regional network (network.ts) are allowed in allow-list mode too, unless denied. */
  setPartners(hosts: ReadonlySet<string>): void {
    this.partnerHosts = hosts;
  }

  /** Whether this instance may talk to `host` (a URL's host, with its port). */
  allowsHost(host: string): boolean {
    const h = host.toLowerCase();
    if (h === this.deps.iris.host) return true;
    let allowed = false;
    for (const rule of this.domainRules.values()) {
      if (!ruleCovers(rule.id, h)) continue;
      if (rule.policy === 'deny') return false;
      allowed = true;
    }
    return this.mode === 'open' || allowed || this.partnerHosts.has(h);
  }

  /** Whether an actor (or any IRI) may reach us and be reached. */
  allowsIri(iri: string): boolean {
    const host = hostOf(iri);
    return !!host && this.allowsHost(host) && !this.actorBlocks.has(iri);
  }

  async view(): Promise<PolicyView> {
    await this.fresh();
    const rules = await this.list();
    return { mode: this.mode, rules };
  }

  private async list(): Promise<ApPolicyRuleDoc[]> {
    const page = await this.deps.store.collection(apPolicyRulesCollection).find({ orderBy: { field: 'createdAt', direction: 'desc' }, limit: 1000 });
    return page.items;
  }

  async setMode(raw: unknown): Promise<PolicyView> {
    const { mode } = parseInput(modeInput, raw);
    await this.deps.store.collection(apSettingsCollection).upsert({ id: 'mode', value: mode, updatedAt: Date.now() });
    await this.deps.revision.changed();
    this.mode = mode;
    if (mode === 'allowlist') await this.purge();
    this.deps.logger.info({ mode }, 'federation mode changed');
    return this.view();
  }

  async addRule(raw: unknown): Promise<ApPolicyRuleDoc> {
    const input = parseInput(ruleInput, raw);
    const { kind, id } = this.normalise(input.target);
    if (kind === 'actor' && input.policy === 'allow') throw federationError(422, 'allow_is_for_domains', true);
    const rules = this.deps.store.collection(apPolicyRulesCollection);
    if (await rules.get(id)) throw federationError(409, 'rule_exists', true);
    const rule: ApPolicyRuleDoc = { id, kind, policy: input.policy, reason: input.reason, createdAt: Date.now() };
    await rules.insert(rule);
    await this.deps.revision.changed();
    await this.load();
    if (rule.policy === 'deny') await this.purge();
    this.deps.logger.info({ kind, policy: rule.policy }, 'federation rule added');
    return rule;
  }

  async removeRule(target: string): Promise<void> {
    const { id } = this.normalise(typeof target === 'string' ? target : '');
    const rules = this.deps.store.collection(apPolicyRulesCollection);
    if (!(await rules.get(id))) throw federationError(404, 'rule_not_found', true);
    await rules.delete(id);
    await this.deps.revision.changed();
    await this.load();
    // Lifting an allow in allow-list mode refuses that server from now on.
    await this.purge();
  }

  private normalise(target: string): { kind: ApPolicyRuleDoc['kind']; id: string } {
    const t = target.trim();
    if (/^https?:\/\//i.test(t)) {
      const host = hostOf(t);
      if (!host || t.length > 500) throw federationError(422, 'rule_target_invalid', true);
      if (host === this.deps.iris.host) throw federationError(422, 'rule_target_local', true);
      return { kind: 'actor', id: t };
    }
    const domain = hostOfInput(t);
    if (!domain) throw federationError(422, 'rule_target_invalid', true);
    if (domain === this.deps.iris.host || domain === this.deps.iris.host.replace(/:\d+$/, '')) throw federationError(422, 'rule_target_local', true);
    return { kind: 'domain', id: domain };
  }

  /**
   * Drops what the refused servers and actors have here: their follows of
   * our actors (they get nothing more), our follows of theirs (no Undo is
   * sent to a refused server), and the posts mirrored from their boards.
   */
  private async purge(): Promise<void> {
    const { store, apex } = this.deps;
    const items = store.collection(apStreamItemsCollection);
    for (const list of await this.deps.apexStore.localFollowerLists()) {
      await eachPage(
        (after) => items.find({ where: { collection: list }, orderBy: { field: 'seq' }, limit: 500, after }),
        async (item) => {
          if (item.actor && !this.allowsIri(item.actor)) await this.deps.apexStore.removeStreamItem(item);
        },
      );
    }
    const follows = store.collection(apFollowsCollection);
    const groups: string[] = [];
    for (const localActor of this.deps.iris.followingActors()) {
      await eachPage(
        (after) => follows.find({ where: { localActor }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        async (follow) => {
          if (this.allowsIri(follow.remoteActor)) return;
          groups.push(follow.remoteActor);
          const activity = await apex.store.getActivity(follow.followId, true);
          if (activity) await apex.store.removeActivity(activity, follow.localActor);
          await follows.delete(follow.id);
        },
      );
    }
    for (const group of groups) await store.collection(apRemotePostsCollection).deleteWhere({ groupIri: group });
  }
}
