/**
 * The highest sustainable rate, searched between a rate that was sustained and one that was not:
 * each probe halves the gap (geometric midpoint, since costs grow with rate) until the two are
 * within `tolerance` of each other.
 */
export interface SearchState {
  /** Highest rate sustained so far (0 if none). */
  sustained: number;
  /** Lowest rate not sustained so far (Infinity if none). */
  failed: number;
}

export interface SearchOptions {
  /** Stop when failed / sustained is at most 1 + tolerance. */
  tolerance?: number;
  /** Rates never probed above this (the load generator's own ceiling). */
  ceiling?: number;
  /** Lowest rate worth probing when nothing was sustained. */
  floor?: number;
}

/** The next rate to probe, or null when the search is done. */
export function nextRate(state: SearchState, options: SearchOptions = {}): number | null {
  const { tolerance = 0.1, ceiling = 100_000, floor = 100 } = options;
  const { sustained, failed } = state;
  if (sustained >= ceiling) return null;
  if (!Number.isFinite(failed)) return Math.min(ceiling, Math.max(floor, sustained * 2));
  if (sustained <= 0) return failed / 2 >= floor ? Math.round(failed / 2) : null;
  if (failed / sustained <= 1 + tolerance) return null;
  return Math.round(Math.sqrt(sustained * failed));
}

/** Folds one probe's result into the state. */
export function record(state: SearchState, rate: number, sustained: boolean): SearchState {
  return sustained
    ? { sustained: Math.max(state.sustained, rate), failed: state.failed }
    : { sustained: state.sustained, failed: Math.min(state.failed, rate) };
}
