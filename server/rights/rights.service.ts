import { DuplicateKeyError, type Store } from '../store/port.js';
import { allItems } from '../store/paging.js';
import { newId } from '../crypto.js';
import { conflict, fieldError, forbidden, notFound } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff } from '../accounts/accounts.service.js';
import type { AreasService } from '../areas/areas.service.js';
import { renderMarkdown } from '../content/markdown.js';
import {
  resourcesCollection,
  rightsPagesCollection,
  rightsStateCollection,
  type ResourceDoc,
  type ResourceKind,
  type RightsPageDoc,
} from './rights.collections.js';
import { resourceFilter, resourceInput, resourcePatchInput, rightsPageInput, rightsSlugSchema, slugInput } from './rights.schemas.js';
import type { Relabel, SeedLanguage } from '../i18n/i18n.js';
import { placeholderPages, placeholderResource, placeholderResourceKeys } from './rights.seeds.js';

/** A directory this size is shown whole (no paging); more would not help anyone find a clinic on a phone. */
export const MAX_RESOURCES = 500;

export interface RightsPageSummary {
  readonly slug: string;
  /** The language of the version shown. */
  readonly locale: string;
  readonly title: string;
  readonly placeholder: boolean;
  readonly updatedAt: number;
  /** Every language the page is written in. */
  readonly locales: readonly string[];
}

export interface RightsPageView extends RightsPageSummary {
  readonly body: string;
  readonly html: string;
}

export interface ResourceView {
  readonly id: string;
  readonly name: string;
  readonly kind: ResourceKind;
  /** Null when it serves everywhere (or its area was removed). */
  readonly area: { readonly id: string; readonly name: string } | null;
  readonly hours: string;
  readonly contact: string;
  readonly description: string;
  readonly language: string;
  readonly placeholder: boolean;
  readonly updatedAt: number;
}

export interface RightsDeps {
  readonly store: Store;
  readonly areas: AreasService;
  /** The instance's interface languages; pages are written in these. */
  readonly locales: readonly string[];
  /** Readers whose language has no version get this one's. */
  readonly defaultLocale: string;
}

function ensureEditor(actor: AccountDoc | null): asserts actor is AccountDoc {
  if (!isStaff(actor)) throw forbidden('moderator_only');
}

/** A slug from an address: anything malformed simply names no page. */
function slugOrNotFound(raw: string): string {
  const parsed = rightsSlugSchema.safeParse(raw);
  if (!parsed.success) throw notFound('rights_page_not_found');
  return parsed.data;
}

const summary = (doc: RightsPageDoc, versions: readonly RightsPageDoc[]): RightsPageSummary => ({
  slug: doc.slug,
  locale: doc.locale,
  title: doc.title,
  placeholder: doc.placeholder,
  updatedAt: doc.updatedAt,
  locales: versions.map((v) => v.locale),
});

const pageView = (doc: RightsPageDoc, versions: readonly RightsPageDoc[]): RightsPageView => ({ ...summary(doc, versions), body: doc.body, html: doc.html });

/**
 * Know-your-rights pages and the directory of resources. Everyone reads them,
 * without an account; moderators and admins write them.
 */
export class RightsService {
  private readonly store: Store;
  private readonly areas: AreasService;
  private readonly locales: readonly string[];
  private readonly defaultLocale: string;
  private readonly pages;
  private readonly resources;

  constructor(deps: RightsDeps) {
    this.store = deps.store;
    this.areas = deps.areas;
    this.locales = deps.locales;
    this.defaultLocale = deps.defaultLocale;
    this.pages = deps.store.collection(rightsPagesCollection);
    this.resources = deps.store.collection(resourcesCollection);
  }

  /** A 422 naming the field when `locale` is not one of the instance's languages. */
  private checkLocale(locale: string, field = 'locale'): string {
    if (!this.locales.includes(locale)) {
      throw fieldError(field, 'validation.not_allowed', { allowed: this.locales.join(', ') });
    }
    return locale;
  }

  private async versionsOf(slug: string): Promise<RightsPageDoc[]> {
    return (await this.pages.find({ where: { slug }, orderBy: { field: 'locale' }, limit: 100 })).items;
  }

  private allVersions(): Promise<RightsPageDoc[]> {
    return allItems((after) => this.pages.find({ orderBy: { field: 'slug' }, limit: 500, after }));
  }

  /** The reader's language, else the instance's default language, else whichever exists (better than nothing). */
  private pick(versions: readonly RightsPageDoc[], wanted: string): RightsPageDoc | undefined {
    return versions.find((v) => v.locale === wanted) ?? versions.find((v) => v.locale === this.defaultLocale) ?? versions[0];
  }

  private resourceView(doc: ResourceDoc): ResourceView {
    const area = doc.areaId ? this.areas.get(doc.areaId) : null;
    return {
      id: doc.id,
      name: doc.name,
      kind: doc.kind,
      area: area ? { id: area.id, name: area.name } : null,
      hours: doc.hours,
      contact: doc.contact,
      description: doc.description,
      language: doc.language,
      placeholder: doc.placeholder,
      updatedAt: doc.updatedAt,
    };
  }

  private async resourcesWhere(where: { kind?: ResourceKind; areaId?: string | null }): Promise<ResourceDoc[]> {
    return (await this.resources.find({ where, orderBy: { field: 'name' }, limit: MAX_RESOURCES })).items;
  }

  private async mustGetResource(id: string): Promise<ResourceDoc> {
    const doc = await this.resources.get(id);
    if (!doc) throw notFound('resource_not_found');
    return doc;
  }

  private areaIdOf(area: string | null | undefined): string | null {
    return area ? this.areas.mustExist(area).id : null;
  }

  /**
   * On the very first start only: neutral placeholders that tell the organisation what to write, each page in every
   * language of the catalogues, the example resource in `language` (the instance's default).
   */
  async seed(languages: readonly SeedLanguage[], language: SeedLanguage): Promise<void> {
    const now = Date.now();
    await this.store.transaction(async (tx) => {
      const state = tx.collection(rightsStateCollection);
      if (await state.get('seeded')) return;
      const pageCol = tx.collection(rightsPagesCollection);
      for (const version of languages) {
        for (const p of placeholderPages(version)) {
          await pageCol.insert({ id: newId(), ...p, locale: version.locale, html: renderMarkdown(p.body), placeholder: true, createdAt: now, updatedAt: now });
        }
      }
      await tx.collection(resourcesCollection).insert({ id: newId(), ...placeholderResource(language), areaId: null, language: language.locale, placeholder: true, createdAt: now, updatedAt: now });
      await state.insert({ id: 'seeded', at: now });
    });
  }

  /** The example resource, while nobody has changed it, moves to the language the admin chose at setup. */
  async relabelPlaceholders(relabel: Relabel): Promise<void> {
    const fresh = placeholderResource(relabel.to);
    const untouched = (doc: ResourceDoc) => (Object.keys(placeholderResourceKeys) as (keyof typeof placeholderResourceKeys)[]).every((f) => relabel.untouched(placeholderResourceKeys[f], doc[f]));
    for (const doc of (await this.resources.find({ orderBy: { field: 'name' }, limit: MAX_RESOURCES })).items) {
      if (doc.placeholder && untouched(doc)) await this.resources.patch(doc.id, { ...fresh, language: relabel.to.locale, updatedAt: Date.now() });
    }
  }

  /** One entry per page, in the reader's language where it exists; oldest page first, so the seeded order holds and new pages come last. */
  async listPages(locale: string): Promise<RightsPageSummary[]> {
    this.checkLocale(locale);
    const bySlug = new Map<string, RightsPageDoc[]>();
    for (const doc of await this.allVersions()) bySlug.set(doc.slug, [...(bySlug.get(doc.slug) ?? []), doc]);
    const born = (versions: readonly RightsPageDoc[]) => Math.min(...versions.map((v) => v.createdAt));
    return [...bySlug.values()]
      .sort((a, b) => born(a) - born(b) || a[0]!.slug.localeCompare(b[0]!.slug))
      .map((versions) => summary(this.pick(versions, locale)!, versions));
  }

  /** A page in the reader's language, else the default language's version. */
  async getPage(rawSlug: string, locale: string): Promise<RightsPageView> {
    this.checkLocale(locale);
    const versions = await this.versionsOf(slugOrNotFound(rawSlug));
    const doc = this.pick(versions, locale);
    if (!doc) throw notFound('rights_page_not_found');
    return pageView(doc, versions);
  }

  /** Exactly one language version, or null: what the edit form starts from. */
  async getVersion(rawSlug: string, locale: string): Promise<RightsPageView | null> {
    this.checkLocale(locale);
    const versions = await this.versionsOf(slugOrNotFound(rawSlug));
    const doc = versions.find((v) => v.locale === locale);
    return doc ? pageView(doc, versions) : null;
  }

  /** Writes one language version of a page, creating it if needed; with `mustBeNew`, an existing version is refused rather than replaced. */
  async putPage(
    actor: AccountDoc | null,
    rawSlug: string,
    raw: unknown,
    options: { mustBeNew?: boolean } = {},
  ): Promise<{ page: RightsPageView; created: boolean }> {
    ensureEditor(actor);
    const { slug } = parseInput(slugInput, { slug: rawSlug });
    const input = parseInput(rightsPageInput, raw);
    const locale = this.checkLocale(input.locale);
    const html = renderMarkdown(input.body);
    const now = Date.now();
    try {
      const created = await this.store.transaction(async (tx) => {
        const col = tx.collection(rightsPagesCollection);
        const existing = await col.findOne({ slug, locale });
        if (existing && options.mustBeNew) throw conflict('rights_page_exists');
        const fields = { title: input.title, body: input.body, html, placeholder: false, updatedAt: now };
        if (existing) await col.patch(existing.id, fields);
        else await col.insert({ id: newId(), slug, locale, ...fields, createdAt: now });
        return !existing;
      });
      const versions = await this.versionsOf(slug);
      return { page: pageView(versions.find((v) => v.locale === locale)!, versions), created };
    } catch (error) {
      // Two editors creating the same version at once: the second is told, nothing is lost.
      if (error instanceof DuplicateKeyError) throw conflict('rights_page_exists');
      throw error;
    }
  }

  async deletePage(actor: AccountDoc | null, rawSlug: string, rawLocale: string): Promise<void> {
    ensureEditor(actor);
    const slug = slugOrNotFound(rawSlug);
    const locale = this.checkLocale(rawLocale);
    const doc = await this.pages.findOne({ slug, locale });
    if (!doc || !(await this.pages.delete(doc.id))) throw notFound('rights_page_not_found');
  }

  /**
   * The directory, filtered by kind and area. An area's list also holds the
   * services that serve everywhere (hotlines, national legal aid).
   */
  async listResources(raw: unknown): Promise<ResourceView[]> {
    const filter = parseInput(resourceFilter, raw);
    const kind = filter.kind ? { kind: filter.kind } : {};
    let docs: ResourceDoc[];
    if (filter.area) {
      const area = this.areas.mustExist(filter.area);
      docs = [...(await this.resourcesWhere({ ...kind, areaId: area.id })), ...(await this.resourcesWhere({ ...kind, areaId: null }))];
    } else {
      docs = await this.resourcesWhere(kind);
    }
    return docs.map((d) => this.resourceView(d)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async getResource(id: string): Promise<ResourceView> {
    return this.resourceView(await this.mustGetResource(id));
  }

  async createResource(actor: AccountDoc | null, raw: unknown): Promise<ResourceView> {
    ensureEditor(actor);
    const input = parseInput(resourceInput, raw);
    const areaId = this.areaIdOf(input.area);
    if ((await this.resources.count()) >= MAX_RESOURCES) throw conflict('too_many_resources', { max: MAX_RESOURCES });
    const now = Date.now();
    const doc: ResourceDoc = {
      id: newId(),
      name: input.name,
      kind: input.kind,
      areaId,
      hours: input.hours ?? '',
      contact: input.contact ?? '',
      description: input.description ?? '',
      language: input.language ?? this.defaultLocale,
      placeholder: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.resources.insert(doc);
    return this.resourceView(doc);
  }

  async updateResource(actor: AccountDoc | null, id: string, raw: unknown): Promise<ResourceView> {
    ensureEditor(actor);
    const input = parseInput(resourcePatchInput, raw);
    await this.mustGetResource(id);
    const patch: Partial<ResourceDoc> = { placeholder: false, updatedAt: Date.now() };
    if (input.area !== undefined) patch.areaId = this.areaIdOf(input.area);
    if (input.name !== undefined) patch.name = input.name;
    if (input.kind !== undefined) patch.kind = input.kind;
    if (input.hours !== undefined) patch.hours = input.hours;
    if (input.contact !== undefined) patch.contact = input.contact;
    if (input.description !== undefined) patch.description = input.description;
    if (input.language !== undefined) patch.language = input.language;
    const updated = await this.resources.patch(id, patch);
    if (!updated) throw notFound('resource_not_found');
    return this.resourceView(updated);
  }

  async deleteResource(actor: AccountDoc | null, id: string): Promise<void> {
    ensureEditor(actor);
    if (!(await this.resources.delete(id))) throw notFound('resource_not_found');
  }
}
