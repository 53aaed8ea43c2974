import { type Figure, judged } from '../figures.js';
import type { Thresholds } from '../thresholds.js';
import type { Profile } from './drift.js';

/** Nulls (NaN) and values outside the reference's range, per feature. */
export function featureQualityFigures(profile: Profile, current: readonly number[], t: Thresholds): Figure[] {
  let nulls = 0;
  let outside = 0;
  for (const v of current) {
    if (Number.isNaN(v)) nulls++;
    else if (v < profile.min || v > profile.max) outside++;
  }
  const n = current.length;
  const enough = n >= t.quality.min_samples && profile.n >= t.quality.min_samples;
  const base = { kind: 'QUALITY' as const, subject: profile.subject, n, nReference: profile.n };
  return [
    judged(
      { ...base, metric: 'null_share', value: n === 0 ? Number.NaN : nulls / n },
      'max',
      Math.min(1, profile.nullShare + t.quality.null_share_increase),
      enough,
    ),
    judged(
      { ...base, metric: 'out_of_range_share', value: n - nulls === 0 ? Number.NaN : outside / (n - nulls) },
      'max',
      t.quality.out_of_range_share,
      enough,
    ),
  ];
}

/**
 * Volume against the usual for the same hours: the window's rows over the mean of the same hours on
 * the preceding days (`baseline`: one count per preceding day). Too low and too high both breach;
 * the threshold shown is the limit on the side the ratio is on.
 */
export function volumeFigure(current: number, baseline: readonly number[], t: Thresholds): Figure {
  const usual = baseline.length === 0 ? Number.NaN : baseline.reduce((a, b) => a + b, 0) / baseline.length;
  const value = usual > 0 ? current / usual : Number.NaN;
  const enough = usual >= t.quality.min_samples;
  const base = {
    kind: 'QUALITY' as const,
    subject: '',
    metric: 'volume_ratio',
    value,
    n: current,
    nReference: Math.round(usual) || 0,
  };
  return value > 1
    ? judged(base, 'max', t.quality.volume_ratio_max, enough)
    : judged(base, 'min', t.quality.volume_ratio_min, enough);
}

/** Dead letters of one service and error type in a window. */
export interface DeadLetterCount {
  service: string;
  error_type: string;
  n: number;
}

/**
 * The share of dead-lettered events: the window's dead letters over its transactions plus those
 * dead letters (a transaction refused before the enriched topic is in the first only). Judged once
 * `min_samples` events are in; the top cause (service/error type) goes into the reason, every cause
 * into the evidence and the figures, unjudged, as `dead_letter_share` of subject `service/error_type`.
 */
export function deadLetterFigures(counts: readonly DeadLetterCount[], transactions: number, t: Thresholds): Figure[] {
  const letters = counts.reduce((sum, c) => sum + c.n, 0);
  const events = transactions + letters;
  const share = (n: number) => (events === 0 ? Number.NaN : n / events);
  const causes = [...counts]
    .sort((a, b) => b.n - a.n || (a.service + a.error_type < b.service + b.error_type ? -1 : 1))
    .map((c) =>
      judged(
        {
          kind: 'QUALITY',
          subject: `${c.service}/${c.error_type}`,
          metric: 'dead_letter_share',
          value: share(c.n),
          n: c.n,
          nReference: events,
        },
        'max',
        null,
        false,
      ),
    );
  const top = causes[0];
  const total = judged(
    {
      kind: 'QUALITY',
      subject: '',
      metric: 'dead_letter_share',
      value: share(letters),
      n: events,
      nReference: transactions,
      ...(top ? { note: `top cause ${top.subject}: ${top.n} of ${letters} dead letters` } : {}),
      breakdown: causes,
    },
    'max',
    t.quality.dead_letter_share,
    events >= t.quality.min_samples,
  );
  return [total, ...causes];
}
