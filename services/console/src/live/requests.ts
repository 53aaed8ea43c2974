import { type PromSample, sumBy } from './prometheus.js';

/**
 * What the console reads of a request-serving service's /metrics (the decision API): requests
 * answered by how they were answered (`api_requests_total` by `source`: the pipeline's decision,
 * the rules-only fallback past the deadline, none for refusals) and the latency histogram
 * (`api_latency` buckets, ms).
 */
export interface RequestCounters {
  bySource: Record<string, number>;
  /** Cumulative bucket counts by upper bound (ms), ascending; the last bound is +Inf. */
  buckets: { le: number; count: number }[];
}

/** The request counters of a service, or null when it serves no requests (no api_requests_total). */
export function requestCounters(samples: readonly PromSample[]): RequestCounters | null {
  if (!samples.some((s) => s.name === 'api_requests_total')) return null;
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== 'api_latency_bucket') continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (!Number.isNaN(le)) byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return {
    bySource: sumBy(samples, 'api_requests_total', 'source'),
    buckets: [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le),
  };
}

/**
 * The q-quantile of the observations a cumulative histogram gained (`to` minus `from`), linear
 * within its bucket as Prometheus's histogram_quantile does; the +Inf bucket answers its lower
 * bound. null without observations.
 */
export function quantileOf(from: RequestCounters['buckets'], to: RequestCounters['buckets'], q: number): number | null {
  const before = new Map(from.map((b) => [b.le, b.count]));
  const gained = to.map((b) => ({ le: b.le, count: Math.max(0, b.count - (before.get(b.le) ?? 0)) }));
  const total = gained.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of gained) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lower;
      const inBucket = b.count - below;
      return inBucket <= 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/** A service's requests over a span: per second in all and by source, and p50/p99 latency (ms). */
export interface RequestFigures {
  perSecond: number;
  bySource: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
  /** How long the figures span (ms). */
  spanMs: number;
}

/** Figures between two readings of a service's counters; null when the counters went back (a restart). */
export function requestFigures(
  from: { at: number; counters: RequestCounters },
  to: { at: number; counters: RequestCounters },
): RequestFigures | null {
  const seconds = (to.at - from.at) / 1000;
  if (seconds <= 0) return null;
  const bySource: Record<string, number> = {};
  let total = 0;
  for (const [source, n] of Object.entries(to.counters.bySource)) {
    const gained = n - (from.counters.bySource[source] ?? 0);
    if (gained < 0) return null;
    bySource[source] = gained / seconds;
    total += gained;
  }
  return {
    perSecond: total / seconds,
    bySource,
    p50Ms: quantileOf(from.counters.buckets, to.counters.buckets, 0.5),
    p99Ms: quantileOf(from.counters.buckets, to.counters.buckets, 0.99),
    spanMs: to.at - from.at,
  };
}
