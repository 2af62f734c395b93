/**
 * Time for the code that acts on deadlines, handed in so that tests move it forward instead of waiting for real
 * timers.
 */
export interface Clock {
  now(): number;
  /** Runs `tick` every `ms` until the returned function is called; a tick's failure is the tick's to handle. */
  every(ms: number, tick: () => Promise<void>): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, tick) {
    const timer = setInterval(() => void tick(), ms);
    // A scan due never keeps the process alive on its own.
    timer.unref();
    return () => clearInterval(timer);
  },
};
