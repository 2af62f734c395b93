import type { z } from 'zod';
import { AppError, type MessageParams } from './errors.js';

/**
 * Validates input with a zod schema. Failures become one 422 AppError whose
 * fields name each bad field with a catalogue key, so the same failure reads
 * well in a form, in the API and in every language. Schemas may set a custom
 * message that is itself a catalogue key (starting with "validation.").
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // reportInput lets a missing field be told apart from a wrong type; inputs never leave this function.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const fields: Record<string, { key: string; params: MessageParams }> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    if (!(field in fields)) fields[field] = describeIssue(issue);
  }
  const first = Object.entries(fields)[0];
  const params: MessageParams = first ? { field: first[0] } : {};
  return throwValidation(fields, params);
}

function throwValidation(fields: Record<string, { key: string; params: MessageParams }>, params: MessageParams): never {
  throw new AppError(422, 'validation_failed', 'error.validation_failed', params, fields);
}

function describeIssue(issue: z.core.$ZodIssue): { key: string; params: MessageParams } {
  if (issue.message.startsWith('validation.')) return { key: issue.message, params: {} };
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
