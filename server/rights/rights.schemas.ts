import { z } from 'zod';
import { MARKDOWN_MAX_LENGTH } from '../content/markdown.js';
import { resourceKinds } from './rights.collections.js';

export const TITLE_MAX = 150;
export const BODY_MAX = MARKDOWN_MAX_LENGTH;
export const NAME_MAX = 120;
export const HOURS_MAX = 200;
export const CONTACT_MAX = 300;
export const DESCRIPTION_MAX = 1000;

/** One line of plain text: no control characters, no bidi overrides (they make text read differently from how it is stored). */
const plainLine = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .regex(/^[^\p{Cc}\u202A-\u202E\u2066-\u2069]*$/u, 'validation.no_control_chars');

export const rightsSlugSchema = z
  .string()
  .trim()
  .min(2)
  .max(60)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'validation.slug_chars');

/** A slug from an address, checked as a named field so that the error says which. */
export const slugInput = z.strictObject({ slug: rightsSlugSchema });

/** Which language version: one of the instance's languages (checked by the service, which knows them). */
export const localeSchema = z.string().trim().min(2).max(20);

export const rightsPageInput = z.strictObject({
  locale: localeSchema,
  title: plainLine(TITLE_MAX).min(1, 'validation.required'),
  body: z
    .string()
    .max(BODY_MAX)
    .refine((v) => v.trim() !== '', 'validation.empty_body'),
});

export const rightsQuery = z.strictObject({ locale: localeSchema.optional() });

/** A language tag such as "en", "sw" or "pt-BR", in its canonical spelling. */
const languageTag = z
  .string()
  .trim()
  .max(35)
  .refine((v) => {
    try {
      return /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(v) && Intl.getCanonicalLocales(v).length === 1;
    } catch {
      return false;
    }
  }, 'validation.language_tag')
  .transform((v) => Intl.getCanonicalLocales(v)[0]!);

/** Forms send an empty field for "none". */
const emptyIsUndefined = (v: unknown) => (v === '' ? undefined : v);

const resourceFields = {
  name: plainLine(NAME_MAX).min(1, 'validation.required'),
  kind: z.enum(resourceKinds),
  /** An area id; empty or null: everywhere. */
  area: z.preprocess((v) => (v === '' ? null : v), z.string().max(64).nullable()),
  hours: plainLine(HOURS_MAX),
  contact: plainLine(CONTACT_MAX),
  description: z.string().trim().max(DESCRIPTION_MAX).regex(/^[^\u202A-\u202E\u2066-\u2069]*$/u, 'validation.no_control_chars'),
  /** Empty or absent: the instance's default language. */
  language: z.preprocess(emptyIsUndefined, languageTag.optional()),
};

export const resourceInput = z.strictObject({
  name: resourceFields.name,
  kind: resourceFields.kind,
  area: resourceFields.area.optional(),
  hours: resourceFields.hours.optional(),
  contact: resourceFields.contact.optional(),
  description: resourceFields.description.optional(),
  language: resourceFields.language,
});

export const resourcePatchInput = z.strictObject({
  name: resourceFields.name.optional(),
  kind: resourceFields.kind.optional(),
  area: resourceFields.area.optional(),
  hours: resourceFields.hours.optional(),
  contact: resourceFields.contact.optional(),
  description: resourceFields.description.optional(),
  language: resourceFields.language,
});

export const resourceFilter = z.strictObject({
  kind: z.preprocess(emptyIsUndefined, z.enum(resourceKinds).optional()),
  area: z.preprocess(emptyIsUndefined, z.string().max(64).optional()),
});
