/**
 * What the rooms services tell open room pages (the `/rooms` socket.io namespace).
 * Payloads are the same for every member: nothing in them depends on who receives them,
 * and they carry ids and counts, never what a member wrote (see rooms.socket.ts).
 */
export interface RoomsLive {
  publish(roomId: string, event: string, payload: Record<string, unknown>): void;
  /** Stops delivery to every socket of the member (by blinded id) at once, telling them why first. */
  remove(roomId: string, memberId: string): void;
  /** Tells everyone the room is closed and ends its stream. */
  close(roomId: string): void;
  /** How many members have the room open now. */
  online(roomId: string): number;
}
