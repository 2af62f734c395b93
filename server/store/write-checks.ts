/**
 * The checks every adapter makes on what a patch or an increment names, before it builds its own write: so that a
 * write refused on SQLite is refused, with the same message, on PostgreSQL and MongoDB.
 */
import { StoreError } from './port.js';
import { assertFieldName, type CompiledSpec } from './query.js';

export interface PatchFields {
  /** Fields to set, with their new values, in the order given. */
  readonly set: readonly (readonly [string, unknown])[];
  /** Fields given as undefined: they leave the document. */
  readonly remove: readonly string[];
}

/** A patch's fields split into those it sets and those it removes; `id` may be given only unchanged, and is left out. */
export function patchFields(spec: CompiledSpec, id: string, fields: Record<string, unknown>): PatchFields {
  const set: [string, unknown][] = [];
  const remove: string[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (field === 'id') {
      if (value !== id) throw new StoreError(`patch cannot change the id of a ${spec.name} document`);
      continue;
    }
    assertFieldName(spec.name, field);
    if (value === undefined) remove.push(field);
    else set.push([field, value]);
  }
  return { set, remove };
}

/** An increment's deltas, each a finite number on a named field other than `id`; undefined deltas are left out. */
export function incrementDeltas(spec: CompiledSpec, deltas: Record<string, number | undefined>): [string, number][] {
  const checked: [string, number][] = [];
  for (const [field, delta] of Object.entries(deltas)) {
    if (delta === undefined) continue;
    if (field === 'id') throw new StoreError(`cannot increment the id of a ${spec.name} document`);
    assertFieldName(spec.name, field);
    if (typeof delta !== 'number' || !Number.isFinite(delta)) {
      throw new StoreError(`increment of ${spec.name}.${field} must be a finite number`);
    }
    checked.push([field, delta]);
  }
  return checked;
}
