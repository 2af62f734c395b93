import type { Store } from '../store/port.js';
import { hmac, randomToken, sha256, safeEqual } from '../crypto.js';
import {
  instanceCollection,
  type InstanceSecretsDoc,
  type InstanceSettingsDoc,
  type RegistrationMode,
} from './instance.collections.js';

export interface InstanceSettings {
  readonly name: string;
  readonly registrationMode: RegistrationMode;
  readonly approvalQuestion: string;
  readonly defaultCountry: string;
  readonly quickExitUrl: string;
  readonly discreetByDefault: boolean;
  readonly discreetName: string;
  readonly defaultLocale: string | null;
  readonly offeredLocales: readonly string[];
}

export interface InstanceService {
  settings(): InstanceSettings;
  updateSettings(patch: Partial<InstanceSettings>): Promise<InstanceSettings>;
  /** Keyed hash with the instance's secret key. */
  keyedHash(purpose: string, text: string): string;
  /** Makes a new one-time setup token (replacing any earlier one) and returns it. */
  issueSetupToken(): Promise<string>;
  checkSetupToken(token: string): boolean;
  clearSetupToken(): Promise<void>;
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
  defaultLocale: s.defaultLocale,
  offeredLocales: s.offeredLocales,
});

/**
 * Instance-wide settings and secrets, read on every request, so they are held
 * in memory and written through to the store.
 */
export async function createInstanceService(
  store: Store,
  options: {
    /** Throws (an AppError) when a change is not allowed; nothing is written then. */
    readonly checkChange?: (current: InstanceSettings, patch: Partial<InstanceSettings>) => void;
  } = {},
): Promise<InstanceService> {
  const col = store.collection(instanceCollection);
  let settings = (await col.get('settings')) as InstanceSettingsDoc | null;
  if (!settings) {
    settings = { id: 'settings', ...defaults, updatedAt: Date.now() };
    await col.upsert(settings);
  }
  let secrets = (await col.get('secrets')) as InstanceSecretsDoc | null;
  if (!secrets) {
    secrets = { id: 'secrets', hmacKey: randomToken(32) };
    await col.upsert(secrets);
  }
  // Settings written by an older version lack newer fields: the defaults fill them.
  let current: InstanceSettingsDoc = { ...defaults, ...settings };
  let currentSecrets: InstanceSecretsDoc = secrets;

  return {
    settings: () => view(current),
    async updateSettings(patch) {
      options.checkChange?.(view(current), patch);
      current = { ...current, ...patch, offeredLocales: [...(patch.offeredLocales ?? current.offeredLocales)], id: 'settings', updatedAt: Date.now() };
      await col.upsert(current);
      return view(current);
    },
    keyedHash: (purpose, text) => hmac(currentSecrets.hmacKey, `${purpose}\u0000${text}`),
    async issueSetupToken() {
      const token = randomToken(24);
      currentSecrets = { ...currentSecrets, setupTokenHash: sha256(token) };
      await col.upsert(currentSecrets);
      return token;
    },
    checkSetupToken: (token) => !!currentSecrets.setupTokenHash && safeEqual(sha256(token), currentSecrets.setupTokenHash),
    async clearSetupToken() {
      const { setupTokenHash: _spent, ...rest } = currentSecrets;
      currentSecrets = rest;
      await col.upsert(currentSecrets);
    },
  };
}
