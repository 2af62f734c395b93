/**
 * What the conversation services tell open conversation pages (the `/conversations` socket.io namespace).
 * Payloads are the same for every participant: nothing in them depends on who receives them.
 */
export interface ConversationsLive {
  /** An event of ids and numbers only (a deletion, someone leaving, a shorter retention), sent as is through every process. */
  publish(conversationId: string, event: string, payload: Record<string, unknown>): void;
  /**
   * A message stored: this process sends `payload` to its own sockets; the other processes get the ids only and
   * each reads the message once from the store for theirs, so nothing a member wrote passes between processes.
   */
  share(conversationId: string, messageId: string, payload: Record<string, unknown>): void;
  /** Stops delivery to every socket of one participant (by blinded id), telling them first. */
  remove(conversationId: string, participantId: string): void;
}

/** Stands in until the socket layer exists (nothing is live before, so nothing is lost). */
export function deferredConversationsLive(): ConversationsLive & { attach(live: ConversationsLive): void } {
  let target: ConversationsLive | null = null;
  return {
    attach(live) {
      target = live;
    },
    publish: (id, event, payload) => target?.publish(id, event, payload),
    share: (id, messageId, payload) => target?.share(id, messageId, payload),
    remove: (id, participantId) => target?.remove(id, participantId),
  };
}
