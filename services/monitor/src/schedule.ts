/**
 * Which window ends are due. Window ends sit on multiples of the interval (UTC epoch). With the
 * event-time clock the horizon is the newest logged event time minus the allowed lateness, so a
 * replay of last month runs the same windows as live traffic did; with the wall clock it is now.
 */
export function dueWindowEnds(options: {
  /** Last window end already run; undefined when none. */
  lastDone: number | undefined;
  /** First window end to run when none was (event time: the first logged event plus one window). */
  first: number;
  horizon: number;
  intervalMs: number;
  /** At most this many per call, oldest first: a long replay catches up over several calls. */
  limit?: number;
}): number[] {
  const { lastDone, first, horizon, intervalMs, limit = 1_000 } = options;
  const align = (t: number) => Math.ceil(t / intervalMs) * intervalMs;
  let next = lastDone === undefined ? align(first) : lastDone + intervalMs;
  const due: number[] = [];
  while (next <= horizon && due.length < limit) {
    due.push(next);
    next += intervalMs;
  }
  return due;
}

/** With the wall clock only the latest boundary runs: missed windows while down are not replayed. */
export function wallClockDue(lastDone: number | undefined, now: number, intervalMs: number): number[] {
  const end = Math.floor(now / intervalMs) * intervalMs;
  return lastDone !== undefined && end <= lastDone ? [] : [end];
}
