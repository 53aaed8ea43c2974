import { raw, sql } from '@pipeline/shared';
import type { TimeRange } from '../decisions/queries.js';

/**
 * The models page's reads: every model that scored in a range of event time, so the champion, the
 * challenger and the shadows are compared on the same live events. Read from the hourly rollup
 * (migration 0007, kept by rollup.ts) rather than from `scores` and `labels`, whose joins took
 * seconds on 10 million decisions; ranges are whole hours. Scores are counted in `SCORE_BINS` bins
 * of equal width over [0, 1]; the page draws them coarser, and the realized performance is computed
 * from the labelled bins (shape.ts).
 */
export const SCORE_BINS = 100;

/** Flagged = score at or above this, for agreement and precision/recall (the monitor's default threshold). */
export const FLAG_THRESHOLD = 0.5;

const HOURS = (range: Pick<TimeRange, 'from' | 'to'>) =>
  sql`hour >= toDateTime(${range.from}) AND hour < toDateTime(${range.to})`;

/** Scores per model and bin; `deciding` counts the rows logged as the deciding (non-shadow) score. */
export function scoreHistogramSql(range: Pick<TimeRange, 'from' | 'to'>): string {
  return sql`SELECT model_name, model_version, bin, sum(n) AS n, sum(deciding) AS deciding
FROM console_model_hours FINAL
WHERE ${raw(HOURS(range))}
GROUP BY model_name, model_version, bin
ORDER BY model_name, model_version, bin
LIMIT 10000`;
}

/** Labelled scores per model, bin and label (the newest label of each event known at the last rebuild). */
export function labelledHistogramSql(range: Pick<TimeRange, 'from' | 'to'>): string {
  return sql`SELECT model_name, model_version, bin, is_fraud, if(is_fraud = 1, frauds, genuine) AS n
FROM (
  SELECT model_name, model_version, bin, sum(frauds) AS frauds, sum(genuine) AS genuine
  FROM console_model_hours FINAL
  WHERE ${raw(HOURS(range))}
  GROUP BY model_name, model_version, bin
)
ARRAY JOIN [1, 0] AS is_fraud
WHERE n > 0
ORDER BY model_name, model_version, bin, is_fraud
LIMIT 20000`;
}

/**
 * Each shadow or challenger score against the deciding score of the same event: how many events
 * both scored, the mean absolute difference, the share on which both agree at FLAG_THRESHOLD, the
 * events only one of them flags, and the correlation, from the hours' sums.
 */
export function agreementSql(range: Pick<TimeRange, 'from' | 'to'>): string {
  return sql`SELECT deciding_model, model_name, model_version, n,
  sum_abs_diff / n AS mean_abs_diff, agree / n AS agree, both_flag, deciding_only, other_only,
  if(vx > 0 AND vy > 0, (n * sum_xy - sum_x * sum_y) / sqrt(vx * vy), nan) AS correlation
FROM (
  SELECT deciding_model, model_name, model_version, sum(n) AS n, sum(sum_abs_diff) AS sum_abs_diff, sum(agree) AS agree,
    sum(both_flag) AS both_flag, sum(deciding_only) AS deciding_only, sum(other_only) AS other_only,
    sum(sum_x) AS sum_x, sum(sum_y) AS sum_y, sum(sum_xy) AS sum_xy,
    n * sum(sum_xx) - sum_x * sum_x AS vx, n * sum(sum_yy) - sum_y * sum_y AS vy
  FROM console_agreement_hours FINAL
  WHERE ${raw(HOURS(range))}
  GROUP BY deciding_model, model_name, model_version
)
WHERE n > 0
ORDER BY n DESC
LIMIT 100`;
}
