/**
 * Which replayed events had all their inputs in the replay: only those must come out with the
 * vector production logged (the online/offline consistency check fails on any other difference).
 *
 * An event at t of customer c counts when
 *  1. its reach lies in the stored history: t − reach ≥ the first stored transaction's time (the
 *     replay starts a reach before the range, so t − reach ≥ the warm-up start holds for every event
 *     of the range; before the first stored row production may have seen events the tables no
 *     longer hold);
 *  2. no replayed transaction in [t − reach, t] was stored without its milliseconds (rows written
 *     before migration 0010_backtest are rebuilt with event_time in whole seconds);
 *  3. c's previous transaction (customer_seconds_since_prev, whose reach no window bounds) is in the
 *     replay, or c has no stored transaction before the warm-up start.
 */
export interface Coverage {
  reachMs: number;
  /** Event time of the first transaction in production's tables. */
  historyStartMs: number;
  /** Customers with a stored transaction before the warm-up start (not replayed). */
  customersBefore: ReadonlySet<string>;
}

export interface ReplayedTransaction {
  eventId: string;
  timeMs: number;
  customerId: string;
  /** Rebuilt from event_time in whole seconds (no event_time_ms stored). */
  secondsOnly: boolean;
}

/** The ids of the events in [fromMs, toMs) with all their inputs; `replayed` in event-time order. */
export function completeInputs(
  replayed: readonly ReplayedTransaction[],
  coverage: Coverage,
  fromMs: number,
  toMs: number,
): Set<string> {
  const complete = new Set<string>();
  const seen = new Set<string>();
  let lastSecondsOnly = Number.NEGATIVE_INFINITY;
  for (const tx of replayed) {
    if (tx.secondsOnly) lastSecondsOnly = Math.max(lastSecondsOnly, tx.timeMs);
    const hasPrevious = seen.has(tx.customerId) || !coverage.customersBefore.has(tx.customerId);
    seen.add(tx.customerId);
    if (tx.timeMs < fromMs || tx.timeMs >= toMs) continue;
    const start = tx.timeMs - coverage.reachMs;
    if (start >= coverage.historyStartMs && lastSecondsOnly < start && hasPrevious) complete.add(tx.eventId);
  }
  return complete;
}
