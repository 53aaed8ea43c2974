import { compareEstimates, type MetricComparison } from './metrics.js';
import type { Moments } from './ratio.js';
import { ratio } from './ratio.js';

/**
 * The figures a recommendation experiment is judged on, declared once (the SQL in store.ts, the
 * README and the analysis read this list). Users are the units (they are what assignVariant
 * randomizes), each figure a ratio of sums over users with the delta-method variance, as fraud's.
 */
export const RECSYS_METRICS = {
  /** Primary: clicked items per item shown (x: a user's clicks on recommended items, y: items shown to them). */
  ctr: { kind: 'PRIMARY', better: 'higher' },
  /** Mean NDCG@10 over the requests with a click (x: a user's NDCG@10 sum, y: their requests with a click): shown, not judged. */
  ndcg_at_10: { kind: 'INFO', better: 'higher' },
} as const;

export type RecsysMetric = keyof typeof RECSYS_METRICS;
export const RECSYS_METRIC_NAMES = Object.keys(RECSYS_METRICS) as RecsysMetric[];
export const RECSYS_PRIMARY: RecsysMetric = 'ctr';

/** Each metric of a challenger compared with the control: the same ratio, difference, interval and mSPRT as fraud's. */
export function compareRecsys(
  control: Partial<Record<RecsysMetric, Moments>>,
  treatment: Partial<Record<RecsysMetric, Moments>>,
  plans: Record<RecsysMetric, { tau2: number }>,
  alpha: number,
): MetricComparison<RecsysMetric>[] {
  const empty: Moments = { units: 0, x: 0, y: 0, xx: 0, yy: 0, xy: 0 };
  return RECSYS_METRIC_NAMES.map((m) =>
    compareEstimates(
      m,
      RECSYS_METRICS[m].better,
      ratio(control[m] ?? empty),
      ratio(treatment[m] ?? empty),
      plans[m].tau2,
      alpha,
    ),
  );
}
