// Where posts.ts, which another change rewrites, still looks; it moves into the new layout after it.
export { groupAnnounce, publishBuilt } from './outbound/publish.js';
