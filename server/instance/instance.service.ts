import type { Collection, Store } from '../store/port.js';
import { storeOnce } from '../store/store-once.js';
import { hmac, randomToken, sha256, safeEqual } from '../crypto.js';
import { parseInput } from '../core/validate.js';
import { KeptCopy } from '../core/kept-copy.js';
import { lastAnswer } from '../core/last-answer.js';
import {
  instanceCollection,
  type InstanceSecretsDoc,
  type InstanceSigningKeyDoc,
  type InstanceSettingsDoc,
  type RegistrationMode,
} from './instance.collections.js';
import { settingsInput } from './instance.schemas.js';

export interface InstanceSettings {
  readonly name: string;
  readonly registrationMode: RegistrationMode;
  readonly approvalQuestion: string;
  readonly defaultCountry: string;
  readonly quickExitUrl: string;
  readonly discreetByDefault: boolean;
  readonly discreetName: string;
  readonly discreetTitlesByDefault: boolean;
  readonly alarmContact: string;
  readonly defaultLocale: string | null;
  readonly offeredLocales: readonly string[];
}

const defaults: Omit<InstanceSettingsDoc, 'id' | 'updatedAt'> = {
  name: 'Parasol',
  // Open by default so a newcomer can try a fresh instance; the admin page recommends approval or invites.
  registrationMode: 'open',
  approvalQuestion: 'Which organisation or peer told you about this forum?',
  defaultCountry: 'US',
  // A page anyone might be reading, that says nothing about the person holding the phone.
  quickExitUrl: 'https://www.bbc.com/weather',
  discreetByDefault: false,
  discreetName: 'Notes',
  discreetTitlesByDefault: true,
  alarmContact: '',
  defaultLocale: null,
  offeredLocales: [],
};

const view = (s: InstanceSettingsDoc): InstanceSettings => ({
  name: s.name,
  registrationMode: s.registrationMode,
  approvalQuestion: s.approvalQuestion,
  defaultCountry: s.defaultCountry,
  quickExitUrl: s.quickExitUrl,
  discreetByDefault: s.discreetByDefault,
  discreetName: s.discreetName,
  discreetTitlesByDefault: s.discreetTitlesByDefault,
  alarmContact: s.alarmContact,
  defaultLocale: s.defaultLocale,
  offeredLocales: s.offeredLocales,
});

export interface InstanceOptions {
  /** Throws (an AppError) when a change is not allowed; nothing is written then. */
  readonly checkChange?: (current: InstanceSettings, patch: Partial<InstanceSettings>) => void;
}

/**
 * Instance-wide settings and secrets, read on every request, so they are held
 * in memory and written through to the store. `load()` reads them before first use.
 */
/**
 * Settings written by an older version lack newer fields: the defaults fill them, except that an instance running
 * before discreet titles existed keeps the titles its members know until its admin says otherwise.
 */
function withDefaults(settings: InstanceSettingsDoc): InstanceSettingsDoc {
  return { ...defaults, ...settings, discreetTitlesByDefault: 'discreetTitlesByDefault' in settings ? settings.discreetTitlesByDefault : false };
}

export class InstanceService {
  private readonly col: Collection<InstanceSettingsDoc | InstanceSecretsDoc | InstanceSigningKeyDoc>;
  private current: InstanceSettingsDoc = { id: 'settings', ...defaults, updatedAt: 0 };
  private secrets: InstanceSecretsDoc = { id: 'secrets', hmacKey: '' };
  private readonly viewOf = lastAnswer(view);
  /** Read again after another process wrote them (refresh), and after this one did, in case both wrote at once. */
  private readonly kept = new KeptCopy([instanceCollection.name], async () => {
    const [settings, secrets] = await Promise.all([this.col.get('settings'), this.col.get('secrets')]);
    if (settings) this.current = withDefaults(settings as InstanceSettingsDoc);
    if (secrets) this.secrets = secrets as InstanceSecretsDoc;
  });

  constructor(
    store: Store,
    private readonly options: InstanceOptions = {},
  ) {
    this.col = store.collection(instanceCollection);
  }

  /**
   * Reads the settings and secrets, writing the defaults and a new key on first start. Of processes starting
   * together on a new database, the first to store them wins and the others read what it stored: every process
   * must hash with the same key.
   */
  async load(): Promise<this> {
    await storeOnce(this.col, 'settings', () => ({ id: 'settings' as const, ...defaults, updatedAt: Date.now() }));
    await storeOnce(this.col, 'secrets', () => ({ id: 'secrets' as const, hmacKey: randomToken(32) }));
    await this.kept.reread();
    return this;
  }

  /**
   * Reads the settings and secrets again when another process (another worker, another machine) changed them since
   * the last look (core/kept-copy.ts); costs nothing while no other process wrote them. Called before each request
   * is handled, so a change shows in every process as a kept page does.
   */
  refresh(): Promise<void> {
    return this.kept.current();
  }

  /** The same object until the settings change: what is derived from them is worked out once per change. */
  settings(): InstanceSettings {
    return this.viewOf(this.current);
  }

  /** An admin's change, as it came from the API or the settings form: validated here. */
  async changeSettings(raw: unknown): Promise<InstanceSettings> {
    return this.updateSettings(parseInput(settingsInput, raw));
  }

  /** Validates an admin's change as changeSettings() does, without applying it: the setup form applies it once the admin exists. */
  checkSettings(raw: unknown): Partial<InstanceSettings> {
    const patch = parseInput(settingsInput, raw);
    this.options.checkChange?.(view(this.current), patch);
    return patch;
  }

  /** Applies an already valid change (tests set a plain-http quick exit this way). */
  async updateSettings(patch: Partial<InstanceSettings>): Promise<InstanceSettings> {
    this.options.checkChange?.(view(this.current), patch);
    const offeredLocales = [...(patch.offeredLocales ?? this.current.offeredLocales)];
    this.current = { ...this.current, ...patch, offeredLocales, id: 'settings', updatedAt: Date.now() };
    await this.col.upsert(this.current);
    await this.kept.reread();
    return view(this.current);
  }

  /** Keyed hash with the instance's secret key. An arrow so that it can be handed on as a function. */
  readonly keyedHash = (purpose: string, text: string): string => hmac(this.secrets.hmacKey, `${purpose}\u0000${text}`);

  /**
   * Makes a new one-time setup token and returns it. It replaces any earlier one, in every process that shares the
   * database (see refresh): of the links printed by several machines started before the first admin exists, the last
   * one works.
   */
  async issueSetupToken(): Promise<string> {
    const token = randomToken(24);
    this.secrets = { ...this.secrets, setupTokenHash: sha256(token) };
    await this.col.upsert(this.secrets);
    await this.kept.reread();
    return token;
  }

  checkSetupToken(token: string): boolean {
    return !!this.secrets.setupTokenHash && safeEqual(sha256(token), this.secrets.setupTokenHash);
  }

  async clearSetupToken(): Promise<void> {
    const { setupTokenHash: _spent, ...rest } = this.secrets;
    this.secrets = rest;
    await this.col.upsert(this.secrets);
    await this.kept.reread();
  }
}
