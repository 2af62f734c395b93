import assert from 'node:assert/strict';
import type { Person } from '../helpers/people.js';

export interface ConversationJson {
  id: string;
  retentionDays: number;
  unread: number;
  people: { place: number; handle: string; state: 'here' | 'waiting' | 'left'; me: boolean }[];
}

export interface RequestJson {
  id: string;
  from: string;
  body: string;
}

/** `who` takes requests from every member (the default is buddies only). */
export async function openToEveryone(who: Person): Promise<void> {
  const reply = await who.client.api('PUT', '/conversations/settings', { accept: 'everyone' });
  assert.equal(reply.status, 200, reply.text);
}

export async function start(from: Person, to: readonly Person[], body = 'hello, can we talk?', extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await from.client.api('POST', '/conversations', { to: to.map((p) => p.handle), body, ...extra });
  assert.equal(reply.status, 201, reply.text);
  return reply.json.conversation.id as string;
}

export async function inbox(who: Person): Promise<{ requests: RequestJson[]; conversations: ConversationJson[] }> {
  const reply = await who.client.api('GET', '/conversations');
  assert.equal(reply.status, 200, reply.text);
  return reply.json;
}

/** Accepts the one request waiting for `who`; answers the conversation's id. */
export async function acceptOnly(who: Person): Promise<string> {
  const { requests } = await inbox(who);
  assert.equal(requests.length, 1, JSON.stringify(requests));
  const reply = await who.client.api('POST', `/conversations/requests/${requests[0]!.id}/accept`);
  assert.equal(reply.status, 200, reply.text);
  return reply.json.conversation.id as string;
}

export async function say(who: Person, conversationId: string, body: string): Promise<{ id: string; cursor: string; place: number; body: string }> {
  const reply = await who.client.api('POST', `/conversations/${conversationId}/messages`, { body });
  assert.equal(reply.status, 201, reply.text);
  return reply.json.message;
}

export async function messages(who: Person, conversationId: string): Promise<{ id: string; body: string; place: number }[]> {
  const reply = await who.client.api('GET', `/conversations/${conversationId}/messages`);
  assert.equal(reply.status, 200, reply.text);
  return reply.json.messages;
}

export async function becomeBuddies(a: Person, b: Person): Promise<void> {
  assert.equal((await a.client.api('POST', '/buddies', { handle: b.handle })).status, 201);
  assert.equal((await b.client.api('POST', '/buddies', { handle: a.handle })).status, 201);
}
