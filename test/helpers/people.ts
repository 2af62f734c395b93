import assert from 'node:assert/strict';
import type { TestInstance } from './instance.js';
import { Client, handle, PASS } from './client.js';

export interface Person {
  readonly client: Client;
  readonly handle: string;
  readonly id: string;
}

/** A new member, signed in through the API. */
export async function member(inst: TestInstance, prefix = 'member'): Promise<Person> {
  const client = new Client(inst.url);
  const h = handle(prefix);
  const reply = await client.api('POST', '/accounts', { handle: h, passphrase: PASS });
  assert.equal(reply.status, 201, reply.text);
  return { client, handle: h, id: reply.json.account.id };
}

/** The first admin, made through the one-time setup link. */
export async function admin(inst: TestInstance): Promise<Person> {
  const token = await inst.parasol.ctx.instance.issueSetupToken();
  const client = new Client(inst.url);
  const h = handle('admin');
  const reply = await client.api('POST', `/setup/${token}`, { handle: h, passphrase: PASS });
  assert.equal(reply.status, 201, reply.text);
  return { client, handle: h, id: reply.json.account.id };
}

/** A member whom the admin made an instance moderator. */
export async function moderator(inst: TestInstance, by: Person): Promise<Person> {
  const person = await member(inst, 'mod');
  const reply = await by.client.api('PUT', `/admin/accounts/${person.handle}/role`, { role: 'moderator' });
  assert.equal(reply.status, 200, reply.text);
  return person;
}
