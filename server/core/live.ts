/**
 * Publishes a live event to the open pages of one channel (`thread:<id>`, `account:<id>`, ...).
 * Payloads carry ids only; the real-time layer hands in the implementation once it is attached.
 */
export type Publish = (family: string, id: string, event: string, payload: Record<string, unknown>) => void;
