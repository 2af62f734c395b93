// Where posts.ts and contributions.ts, which another change rewrites, still look; they move into the new layout after it.
export type { Actors } from './actors/actors.js';
