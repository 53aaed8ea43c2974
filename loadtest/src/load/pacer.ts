/**
 * Pacing on an absolute schedule: event i (counting from 0) is due at start + i * 1000 / rate.
 * Each decision reads the clock against that schedule instead of sleeping fixed intervals, so
 * timer lateness and send time are never carried forward: over a run the rate does not drift.
 * When the sender falls behind (a slow broker), what is due accumulates and is caught up, in
 * batches, as soon as it can be; the average over the run stays the target.
 */
export interface Pacer {
  /** Events due by `now` in total (Infinity when unpaced). */
  due(now: number): number;
  /** When `total` events in total are due (at start when unpaced). */
  timeFor(total: number): number;
}

/** `rate` in events per second; 0 or Infinity means as fast as possible. */
export function createPacer(rate: number, start: number): Pacer {
  if (!(rate >= 0)) throw new RangeError(`rate must be >= 0 events/s, got ${rate}`);
  if (rate === 0 || rate === Number.POSITIVE_INFINITY) {
    return { due: () => Number.POSITIVE_INFINITY, timeFor: () => start };
  }
  const msPerEvent = 1000 / rate;
  return {
    due: (now) => (now < start ? 0 : Math.floor((now - start) / msPerEvent + 1e-9) + 1),
    timeFor: (total) => (total <= 0 ? start : start + (total - 1) * msPerEvent),
  };
}

/** How many events are due within a run of `durationMs` at `rate` (events at offsets < durationMs). */
export function dueWithin(rate: number, durationMs: number): number {
  if (rate === 0 || rate === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return Math.ceil((durationMs * rate) / 1000 - 1e-9);
}
