import { conflict, notFound } from '../core/errors.js';
import { newId } from '../crypto.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MemberKey } from '../core/member-key.js';
import type { Store } from '../store/port.js';
import { messagesCollection, pinsCollection, type PinDoc } from './rooms.collections.js';
import { isId, PIN_LIMIT, pinMessageInput, pinResourceInput } from './rooms.schemas.js';
import { authorOf, type PinView } from './view-models.js';
import type { RoomPolicy } from './policy.js';
import type { RoomsLive } from './rooms.live.js';

/** Pinned messages and resources (a title and Markdown, such as a list of clinics): members read them, facilitators pin. */
export class RoomPinsService {
  private readonly pins;
  private readonly messages;

  constructor(
    store: Store,
    private readonly policy: RoomPolicy,
    private readonly live: RoomsLive,
  ) {
    this.pins = store.collection(pinsCollection);
    this.messages = store.collection(messagesCollection);
  }

  async list(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown): Promise<PinView[]> {
    const { room } = await this.policy.member(actor, key, roomId);
    return this.views(room.id);
  }

  /** Pins a message ({messageId}) or a resource ({title, body}). */
  async pin(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, raw: unknown = {}): Promise<PinView> {
    const { room } = await this.policy.facilitator(actor, key, roomId);
    if ((await this.pins.count({ roomId: room.id })) >= PIN_LIMIT) throw conflict('too_many_pins', { max: PIN_LIMIT });
    const now = Date.now();
    let doc: PinDoc;
    if (raw && typeof raw === 'object' && (raw as { messageId?: unknown }).messageId !== undefined) {
      const { messageId } = parseInput(pinMessageInput, raw);
      const message = await this.policy.message(room, messageId);
      if (await this.pins.findOne({ messageId: message.id })) throw conflict('already_pinned');
      // A pinned message's pin goes when the message does.
      doc = { id: newId(), roomId: room.id, messageId: message.id, title: '', body: '', html: '', createdAt: now, expiresAt: message.expiresAt };
    } else {
      const input = parseInput(pinResourceInput, raw);
      doc = { id: newId(), roomId: room.id, messageId: null, title: input.title, body: input.body, html: await this.policy.render(input.body), createdAt: now, expiresAt: null };
    }
    await this.pins.insert(doc);
    await this.publish(room.id);
    return (await this.views(room.id)).find((p) => p.id === doc.id)!;
  }

  async unpin(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, pinId: unknown): Promise<void> {
    const { room } = await this.policy.facilitator(actor, key, roomId);
    const pin = isId(pinId) ? await this.pins.get(pinId) : null;
    if (!pin || pin.roomId !== room.id) throw notFound('pin_not_found');
    await this.pins.delete(pin.id);
    await this.publish(room.id);
  }

  /** Sends the room's pins to its open pages, after any change to them. */
  async publish(roomId: string): Promise<void> {
    this.live.share(roomId, 'pin', roomId, { pins: await this.views(roomId) });
  }

  /** The room's pins as every member sees them (unauthorised: for the live layer, which serves members only). */
  async views(roomId: string): Promise<PinView[]> {
    const list = (await this.pins.find({ where: { roomId }, orderBy: { field: 'createdAt' }, limit: PIN_LIMIT })).items;
    const pinned = new Map((await this.messages.getMany(list.map((p) => p.messageId).filter((id): id is string => !!id))).map((m) => [m.id, m]));
    const out: PinView[] = [];
    for (const p of list) {
      if (p.messageId === null) {
        out.push({ id: p.id, messageId: null, title: p.title, html: p.html, author: null, createdAt: p.createdAt });
        continue;
      }
      const m = pinned.get(p.messageId);
      if (m) out.push({ id: p.id, messageId: m.id, title: '', html: m.html, author: authorOf(m), createdAt: p.createdAt });
    }
    return out;
  }
}
