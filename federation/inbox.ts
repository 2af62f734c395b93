// Where contributions.ts, which another change rewrites, still looks; it moves into the new layout after it.
export { InboxRefusal } from './inbound/refusal.js';
export { rawBodyOf } from './inbound/request.js';
