/**
 * Latency percentiles over a sliding window without keeping every value: each time slice holds a
 * histogram with logarithmic bins (each 4 % wider than the last, from 0.1 ms to over an hour), so a
 * percentile is within 2 % of the exact one and memory is fixed whatever the traffic.
 */
const MIN_MS = 0.1;
const GROWTH = 1.04;
const BINS = Math.ceil(Math.log(3_600_000 / MIN_MS) / Math.log(GROWTH)) + 2;
const LOG_GROWTH = Math.log(GROWTH);

export function binOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BINS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** The value a bin stands for: the geometric middle of its bounds. */
export function binValue(bin: number): number {
  if (bin === 0) return MIN_MS;
  return MIN_MS * GROWTH ** (bin - 0.5);
}

/** The q-quantile (0..1) of a histogram, or null when it is empty. */
export function quantile(counts: Uint32Array, q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bin = 0; bin < counts.length; bin += 1) {
    seen += counts[bin] as number;
    if (seen >= rank) return binValue(bin);
  }
  return binValue(counts.length - 1);
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
}

export interface LatencyPoint extends LatencySummary {
  /** End of the slice (epoch ms). */
  at: number;
}

interface Slice {
  start: number;
  counts: Uint32Array;
  n: number;
}

/** One series (a hop): slices of `sliceMs`, those older than `windowMs` dropped. */
export class LatencyWindow {
  private slices: Slice[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly sliceMs = 5_000,
  ) {}

  record(ms: number, at: number): void {
    const start = at - (at % this.sliceMs);
    let slice = this.slices[this.slices.length - 1];
    if (!slice || slice.start < start) {
      slice = { start, counts: new Uint32Array(BINS), n: 0 };
      this.slices.push(slice);
    } else if (slice.start > start) {
      // A value for an older slice (clock skew between messages): count it in the one it belongs to.
      slice = this.slices.find((s) => s.start === start) ?? slice;
    }
    const bin = binOf(ms);
    slice.counts[bin] = (slice.counts[bin] ?? 0) + 1;
    slice.n += 1;
  }

  private trim(now: number): void {
    const oldest = now - this.windowMs;
    this.slices = this.slices.filter((s) => s.start + this.sliceMs > oldest);
  }

  /** p50/p99 over the whole window ending at `now`. */
  summary(now: number): LatencySummary {
    this.trim(now);
    const merged = new Uint32Array(BINS);
    let count = 0;
    for (const s of this.slices) {
      for (let i = 0; i < BINS; i += 1) merged[i] = (merged[i] as number) + (s.counts[i] as number);
      count += s.n;
    }
    return { count, p50: quantile(merged, 0.5), p99: quantile(merged, 0.99) };
  }

  /** p50/p99 of each slice in the window, oldest first: the chart's points. */
  points(now: number): LatencyPoint[] {
    this.trim(now);
    return this.slices.map((s) => ({
      at: s.start + this.sliceMs,
      count: s.n,
      p50: quantile(s.counts, 0.5),
      p99: quantile(s.counts, 0.99),
    }));
  }
}
