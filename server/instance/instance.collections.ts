import { defineCollection } from '../store/port.js';

export type RegistrationMode = 'open' | 'approval' | 'invite';

/** One document per kind of instance-wide state. */
export interface InstanceSettingsDoc {
  id: 'settings';
  name: string;
  registrationMode: RegistrationMode;
  /** Asked of new members when registration needs approval. */
  approvalQuestion: string;
  /** ISO 3166 country whose local phone formats screening understands (e.g. "555 010 2030" in US). */
  defaultCountry: string;
  /** Where the quick-exit button leads: a neutral https page the admin chose. */
  quickExitUrl: string;
  /** Pages show the neutral name and icon unless a member chose otherwise. */
  discreetByDefault: boolean;
  /** The neutral site name of discreet mode. */
  discreetName: string;
  /**
   * Every page's title is the site's name alone (the browser's history keeps titles), for members who did not
   * choose otherwise and for visitors. On for new instances; settings from before it existed read as off.
   */
  discreetTitlesByDefault: boolean;
  /** What a buddy facing an alarm should do and how to reach the organisation, in the admin's words. */
  alarmContact: string;
  /** The language of pages for people who chose none and whose browser asks for none offered; null: the configured default. */
  defaultLocale: string | null;
  /** The languages the picker offers; empty: every language with a catalogue. */
  offeredLocales: string[];
  updatedAt: number;
}

export interface InstanceSecretsDoc {
  id: 'secrets';
  /** Keys the HMACs of CSRF tokens, recovery codes and invite codes. */
  hmacKey: string;
  /** Hash of the one-time token that creates the first admin; absent once used. */
  setupTokenHash?: string;
}

/**
 * The instance's own signing key pair (instance/signing-key.ts), made on first use: it signs evidence exports whether
 * or not the instance federates. PEM, PKCS#8 and SPKI.
 */
export interface InstanceSigningKeyDoc {
  id: 'signing-key';
  privateKeyPem: string;
  publicKeyPem: string;
  createdAt: number;
}

export const instanceCollection = defineCollection<InstanceSettingsDoc | InstanceSecretsDoc | InstanceSigningKeyDoc>({
  name: 'instance',
  fields: {},
  indexes: [],
});
