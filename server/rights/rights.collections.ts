import { defineCollection } from '../store/port.js';

/**
 * One language version of a know-your-rights page. A page is a slug; each
 * language it is written in is one document, so a translation is added or
 * changed without touching the others.
 */
export interface RightsPageDoc {
  id: string;
  slug: string;
  /** One of the instance's interface languages. */
  locale: string;
  title: string;
  /** Markdown as written. */
  body: string;
  /** Cleaned HTML, rendered once at write time. */
  html: string;
  /** A seeded text that nobody has written over yet: shown with a warning. */
  placeholder: boolean;
  createdAt: number;
  updatedAt: number;
}

export const resourceKinds = ['clinic', 'hiv_testing', 'prep_art', 'legal_aid', 'hotline', 'shelter', 'other'] as const;
export type ResourceKind = (typeof resourceKinds)[number];

/** A service in the directory: public information about an organisation, never about a member. */
export interface ResourceDoc {
  id: string;
  name: string;
  kind: ResourceKind;
  /** An area of this instance (server/areas), or null when it serves everywhere. */
  areaId: string | null;
  hours: string;
  /** Its public phone, address or website, as text. */
  contact: string;
  description: string;
  /** A language tag: the language the service is offered in. */
  language: string;
  placeholder: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Remembers that the placeholders were written once, so that pages an admin deleted do not come back at the next start. */
export interface RightsStateDoc {
  id: 'seeded';
  at: number;
}

export const rightsPagesCollection = defineCollection<RightsPageDoc>({
  name: 'rights_pages',
  fields: { slug: 'string', locale: 'string' },
  indexes: [{ fields: ['slug', 'locale'], unique: true }],
});

export const resourcesCollection = defineCollection<ResourceDoc>({
  name: 'resources',
  fields: { name: 'string', kind: 'string', areaId: 'string' },
  indexes: [{ fields: ['name'] }, { fields: ['kind', 'name'] }, { fields: ['areaId', 'name'] }, { fields: ['kind', 'areaId', 'name'] }],
});

export const rightsStateCollection = defineCollection<RightsStateDoc>({
  name: 'rights_state',
  fields: {},
  indexes: [],
});

export const rightsCollections = [rightsPagesCollection, resourcesCollection, rightsStateCollection];
