import { z } from 'zod';
import { AppError, fieldLabel, type MessageParams } from './errors.js';

// A NUL cuts text short in C libraries and some databases, and a lone surrogate is no character at all: neither
// can be stored, shown or searched as what the person meant, and both are used to hide text from filters.
// eslint-disable-next-line no-control-regex -- finding the NUL control character is the point
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `text` holds a NUL byte or a lone surrogate. */
export function hasBadText(text: string): boolean {
  return BAD_TEXT.test(text);
}

function checkText(value: unknown, path: PropertyKey[], ctx: z.RefinementCtx, depth: number): void {
  if (typeof value === 'string') {
    if (hasBadText(value)) ctx.addIssue({ code: 'custom', path, message: 'layout.bad_characters' });
  } else if (value !== null && typeof value === 'object' && depth < 32) {
    for (const [key, item] of Object.entries(value)) {
      if (hasBadText(key)) ctx.addIssue({ code: 'custom', path, message: 'layout.bad_characters' });
      else checkText(item, [...path, Array.isArray(value) ? Number(key) : key], ctx, depth + 1);
    }
  }
}

/**
 * The one check of every text a person sends (titles, posts, names, messages, and the keys of what they send), run
 * by parseInput before any schema, so that no field can forget it.
 */
export const wellFormedText = z.unknown().superRefine((value, ctx) => checkText(value, [], ctx, 0));

/** Each schema behind the text check, made once: making the pipe cost more than parsing a small input with it. */
const pipes = new WeakMap<z.ZodType, z.ZodType>();

function checked<S extends z.ZodType>(schema: S): z.ZodPipe<typeof wellFormedText, S> {
  let pipe = pipes.get(schema) as z.ZodPipe<typeof wellFormedText, S> | undefined;
  if (pipe === undefined) {
    pipe = wellFormedText.pipe(schema);
    pipes.set(schema, pipe);
  }
  return pipe;
}

/**
 * Validates input with a zod schema. Failures become one 422 AppError whose
 * fields name each bad field with a catalogue key, so the same failure reads
 * well in a form, in the API and in every language. Schemas may set a custom
 * message that is itself a catalogue key (starting with "validation.").
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // reportInput lets a missing field be told apart from a wrong type; inputs never leave this function.
  const result = checked(schema).safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const fields: Record<string, { key: string; params: MessageParams }> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    if (!(field in fields)) fields[field] = describeIssue(issue);
  }
  const first = Object.entries(fields)[0];
  const params: MessageParams = { field: first ? fieldLabel(first[0]) : 'other' };
  return throwValidation(fields, params);
}

function throwValidation(fields: Record<string, { key: string; params: MessageParams }>, params: MessageParams): never {
  throw new AppError(422, 'validation_failed', 'error.validation_failed', params, fields);
}

function describeIssue(issue: z.core.$ZodIssue): { key: string; params: MessageParams } {
  if (issue.message.startsWith('validation.') || issue.message.startsWith('layout.')) return { key: issue.message, params: {} };
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? { key: 'validation.required', params: {} }
        : { key: 'validation.wrong_type', params: { expected: issue.expected } };
    case 'too_small':
      return issue.origin === 'string'
        ? { key: 'validation.too_short', params: { min: Number(issue.minimum) } }
        : { key: 'validation.too_small', params: { min: Number(issue.minimum) } };
    case 'too_big':
      return issue.origin === 'string'
        ? { key: 'validation.too_long', params: { max: Number(issue.maximum) } }
        : { key: 'validation.too_big', params: { max: Number(issue.maximum) } };
    case 'invalid_value':
      return { key: 'validation.not_allowed', params: { allowed: issue.values.map(String).join(', ') } };
    case 'unrecognized_keys':
      return { key: 'validation.unknown_fields', params: { fields: issue.keys.join(', ') } };
    case 'invalid_format':
      return { key: 'validation.bad_format', params: {} };
    default:
      return { key: 'validation.invalid', params: {} };
  }
}
