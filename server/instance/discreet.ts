import type { InstanceSettings } from './instance.service.js';

/**
 * Discreet mode: a glance at a phone's tab bar, history or home screen should
 * not say what this site is about. The member's own choice wins; a member who
 * has not chosen, and every visitor, gets the instance's default.
 */
export type DiscreetSettings = Pick<InstanceSettings, 'name' | 'discreetByDefault' | 'discreetName'>;

/** A person's own discreet choices; absent or null follows the instance's defaults. */
export interface DiscreetChoices {
  readonly discreet?: boolean | null;
  readonly discreetTitles?: boolean | null;
}

/** How the site presents itself to one person: in page titles, the header, the favicon and (later) the web-app manifest. */
export interface SiteIdentity {
  readonly discreet: boolean;
  readonly name: string;
  /** Path of the favicon under /assets. */
  readonly icon: string;
}

export function isDiscreet(settings: DiscreetSettings, account: DiscreetChoices | null): boolean {
  return typeof account?.discreet === 'boolean' ? account.discreet : settings.discreetByDefault;
}

/**
 * Discreet titles, apart from discreet mode: every page is titled with the site's name alone, since the browser's
 * history keeps each page's title ("asking about police checks") long after the tab is closed.
 */
export function hasDiscreetTitles(settings: Pick<InstanceSettings, 'discreetTitlesByDefault'>, account: DiscreetChoices | null): boolean {
  return typeof account?.discreetTitles === 'boolean' ? account.discreetTitles : settings.discreetTitlesByDefault;
}

export function siteIcon(discreet: boolean): string {
  return discreet ? '/assets/notes.svg' : '/assets/umbrella.svg';
}

export function siteIdentity(settings: DiscreetSettings, account: DiscreetChoices | null): SiteIdentity {
  const discreet = isDiscreet(settings, account);
  return { discreet, name: discreet ? settings.discreetName : settings.name, icon: siteIcon(discreet) };
}
