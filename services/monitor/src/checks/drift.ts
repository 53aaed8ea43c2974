import { type Figure, judged } from '../figures.js';
import { binCounts, ksStatistic, psi, quantileEdges } from '../stats.js';
import { driftLimitsFor, type Thresholds } from '../thresholds.js';

/** What a feature (or the score) looked like in the reference window: kept per model version. */
export interface Profile {
  subject: string;
  edges: number[];
  counts: number[];
  /** The reference values (NaN included), for the KS statistic. */
  values: number[];
  n: number;
  nullShare: number;
  min: number;
  max: number;
}

export function buildProfile(subject: string, values: readonly number[]): Profile {
  const edges = quantileEdges(values);
  let nulls = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (Number.isNaN(v)) nulls++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return {
    subject,
    edges,
    counts: binCounts(values, edges),
    values: [...values],
    n: values.length,
    nullShare: values.length === 0 ? Number.NaN : nulls / values.length,
    min,
    max,
  };
}

/**
 * PSI over the reference's bins and the two-sample KS statistic: effect sizes, judged against limits
 * only when both sides have `min_samples` rows. No p-value: with large samples every difference is
 * "significant", however small.
 */
export function driftFigures(profile: Profile, current: readonly number[], t: Thresholds): Figure[] {
  const limits = driftLimitsFor(t, profile.subject);
  const min = t.drift.min_samples;
  const enough = profile.n >= min && current.length >= min;
  const base = { kind: 'DRIFT' as const, subject: profile.subject, n: current.length, nReference: profile.n };
  // KS ignores NaN, so its sample is the defined values: a feature undefined for most rows (1-hour
  // means) has far fewer than the window's rows.
  const defined = current.reduce((n, v) => n + (Number.isNaN(v) ? 0 : 1), 0);
  const definedRef = Math.round(profile.n * (1 - profile.nullShare));
  return [
    judged(
      { ...base, metric: 'psi', value: psi(profile.counts, binCounts(current, profile.edges)) },
      'max',
      limits.psi,
      enough,
    ),
    judged(
      { ...base, metric: 'ks', value: ksStatistic(profile.values, current), n: defined, nReference: definedRef },
      'max',
      limits.ks,
      defined >= min && definedRef >= min,
    ),
  ];
}
