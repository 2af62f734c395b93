/**
 * What the rooms services tell open room pages (the `/rooms` socket.io namespace).
 * Payloads are the same for every member: nothing in them depends on who receives them.
 */
export interface RoomsLive {
  /** An event of ids and counts only (a reaction, a deletion), sent as is through every process. */
  publish(roomId: string, event: string, payload: Record<string, unknown>): void;
  /**
   * An event showing what a member wrote (a message stored or edited, the pins). This process sends `payload` to
   * its own sockets in the room; the other processes get the ids only and each reads the content once from the
   * store for theirs (see rooms.socket.ts), so nothing a member wrote passes between processes.
   */
  share(roomId: string, event: SharedRoomEvent, id: string, payload: Record<string, unknown>): void;
  /** Stops delivery to every socket of the member (by blinded id) at once, telling them why first. */
  remove(roomId: string, memberId: string): void;
  /** Tells everyone the room is closed and ends its stream. */
  close(roomId: string): void;
  /** How many members have the room open now. */
  online(roomId: string): number;
}

/** The events whose payload each process reads from the store itself; `id` is the message's (the room's for pins). */
export type SharedRoomEvent = 'message' | 'message-edited' | 'pin';
