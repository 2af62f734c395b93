import { StoreError } from './port.js';

/**
 * The timed deletion of expired documents, for the adapters whose database has no TTL of its own: every
 * `intervalMs` (default 60 s; null for no timer, when the caller sweeps). A failed sweep goes to `onError` and the
 * next one retries. The timer does not keep the process alive.
 */
export function startSweepTimer(
  intervalMs: number | null | undefined,
  sweep: () => Promise<unknown>,
  onError: ((error: unknown) => void) | undefined,
): NodeJS.Timeout | null {
  const interval = intervalMs === undefined ? 60_000 : intervalMs;
  if (interval !== null && (!Number.isFinite(interval) || interval <= 0)) throw new StoreError('sweepIntervalMs must be a positive number');
  if (interval === null) return null;
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => onError?.(error));
  }, interval);
  timer.unref();
  return timer;
}
