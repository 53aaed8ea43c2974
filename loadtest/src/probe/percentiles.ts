/**
 * Exact percentiles by the nearest-rank method: over n values sorted ascending, the p-th percentile
 * (0 < p <= 100) is the value at 1-based rank ceil(p / 100 * n); p = 0 gives the smallest value.
 * Always one of the observed values, never interpolated, so p100 is the maximum and with duplicates
 * the result is exact. Nothing is estimated or bucketed: every value is kept and sorted.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile of no values');
  // The small epsilon keeps p * n / 100 that floating point lands just above an integer (e.g.
  // 0.95 * 100 = 95.00000000000001) from skipping to the next rank.
  const rank = Math.max(1, Math.ceil((p * n) / 100 - 1e-9));
  return sorted[Math.min(rank, n) - 1] as number;
}

export interface Summary {
  count: number;
  /** null when count is 0. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Summary of values already sorted ascending. */
export function summarizeSorted(sorted: ArrayLike<number>): Summary {
  const n = sorted.length;
  if (n === 0) return { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  return {
    count: n,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[n - 1] as number,
    mean: sum / n,
  };
}

/** Summary of values in any order (copies, then sorts numerically). */
export function summarize(values: ArrayLike<number>): Summary {
  return summarizeSorted(Float64Array.from(values).sort());
}

/**
 * Collects values (latencies in ms) in a growable Float64Array: 8 bytes a value, so ten million
 * values take 80 MB (160 MB briefly while growing or sorting). Fine for runs up to tens of
 * millions of messages; beyond that a histogram (HDR) would bound memory at the cost of exactness.
 */
export class ValueRecorder {
  #values = new Float64Array(1024);
  #length = 0;

  get count(): number {
    return this.#length;
  }

  record(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  /** Sorts a copy, so recording can continue; O(n log n), meant for periodic and final reports. */
  summary(): Summary {
    return summarizeSorted(this.#values.slice(0, this.#length).sort());
  }
}
