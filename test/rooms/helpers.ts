import assert from 'node:assert/strict';
import type { Person } from '../helpers/people.js';

export interface RoomJson {
  id: string;
  name: string;
  requestKey: string | null;
  membership: { id: string; role: string; alias: string; displayMode: string; showName: boolean } | null;
}

/** A room made by `by` (an instance moderator or admin, who becomes its facilitator). */
export async function newRoom(by: Person, extra: Record<string, unknown> = {}): Promise<RoomJson> {
  const reply = await by.client.api('POST', '/rooms', { name: 'HIV+ peer support', purpose: 'HIV+ peers', description: 'A safe place', ...extra });
  assert.equal(reply.status, 201, reply.text);
  return reply.json.room as RoomJson;
}

/** Brings `who` into the room through a fresh invite code from `facilitator`. */
export async function invite(facilitator: Person, roomId: string, who: Person, choice: Record<string, unknown> = {}): Promise<RoomJson> {
  const made = await facilitator.client.api('POST', `/rooms/${roomId}/invites`, {});
  assert.equal(made.status, 201, made.text);
  const joined = await who.client.api('POST', '/rooms/join', { code: made.json.code, ...choice });
  assert.equal(joined.status, 201, joined.text);
  return joined.json.room as RoomJson;
}

export async function say(who: Person, roomId: string, body: string, extra: Record<string, unknown> = {}) {
  const reply = await who.client.api('POST', `/rooms/${roomId}/messages`, { body, ...extra });
  assert.equal(reply.status, 201, reply.text);
  return reply.json.message as { id: string; cursor: string; html: string; author: { kind: string; label: string | null } };
}
