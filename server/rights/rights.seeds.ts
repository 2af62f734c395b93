import type { SeedLanguage } from '../i18n/i18n.js';
import type { ResourceKind } from './rights.collections.js';

/**
 * What a fresh instance shows before the organisation has written anything, in every language of the catalogues.
 * Laws differ by country and change, and wrong legal advice can put someone
 * in a cell, so these texts give none: each says plainly that it is a
 * placeholder and lists what the organisation should cover, with a lawyer
 * who knows the local law. No phone numbers either: a wrong one is worse
 * than none.
 */
const pageKeys = [
  { slug: 'arrested', title: 'layout.seed_arrested_title', points: 'layout.seed_arrested_points' },
  { slug: 'police-harassment', title: 'layout.seed_police_title', points: 'layout.seed_police_points' },
  { slug: 'searches', title: 'layout.seed_searches_title', points: 'layout.seed_searches_points' },
] as const;

export function placeholderPages(language: SeedLanguage): { slug: string; title: string; body: string }[] {
  const { text } = language;
  return pageKeys.map((p) => ({
    slug: p.slug,
    title: text(p.title),
    body: `${text('layout.seed_notice')}\n\n${text('layout.seed_points')}\n\n${text(p.points)}`,
  }));
}

/** The keys of the placeholder resource's texts: a relabel compares the stored texts with them. */
export const placeholderResourceKeys = {
  name: 'layout.seed_resource_name',
  hours: 'layout.seed_resource_hours',
  contact: 'layout.seed_resource_contact',
  description: 'layout.seed_resource_description',
} as const;

export function placeholderResource(language: SeedLanguage): { name: string; kind: ResourceKind; hours: string; contact: string; description: string } {
  const { text } = language;
  return {
    name: text(placeholderResourceKeys.name),
    kind: 'clinic',
    hours: text(placeholderResourceKeys.hours),
    contact: text(placeholderResourceKeys.contact),
    description: text(placeholderResourceKeys.description),
  };
}
