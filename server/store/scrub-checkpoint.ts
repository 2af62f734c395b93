/**
 * How soon, by default, a write that removes or replaces data is followed by a WAL checkpoint that truncates it, so
 * that the removed data leaves the SQLite file's bytes; writes meanwhile share it, so a busy instance checkpoints at
 * most once per delay. SCRUB_CHECKPOINT_MS sets another.
 */
export const CHECKPOINT_DELAY_MS = 2_000;
