import { raw, sql } from '@pipeline/shared';
import type { TimeRange } from '../decisions/queries.js';

/**
 * The models page's reads of the sink's `scores` and `labels` (migration 0001): every model that
 * scored in a range of event time (the daily partition key of `scores`), so the champion, the
 * challenger and the shadows are compared on the same live events. Scores are counted in
 * `SCORE_BINS` bins of equal width over [0, 1]; the page draws them coarser, and the realized
 * performance is computed from the labelled bins (shape.ts). No FINAL: a score delivered twice
 * counts twice until ClickHouse merges it (rare: the sink inserts each batch once).
 */
export const SCORE_BINS = 100;

/** Flagged = score at or above this, for agreement and precision/recall (the monitor's default threshold). */
export const FLAG_THRESHOLD = 0.5;

const BIN = raw(`toUInt32(least(floor(score * ${SCORE_BINS}), ${SCORE_BINS - 1}))`);

/** Scores per model and bin; `deciding` counts the rows logged as the deciding (non-shadow) score. */
export function scoreHistogramSql(range: Pick<TimeRange, 'from' | 'to'>): string {
  return sql`SELECT model_name, model_version, ${BIN} AS bin, count() AS n, countIf(shadow = 0) AS deciding
FROM scores
WHERE event_time >= toDateTime(${range.from}) AND event_time < toDateTime(${range.to})
GROUP BY model_name, model_version, bin
ORDER BY model_name, model_version, bin
LIMIT 10000`;
}

/**
 * Labelled scores per model, bin and label: the scores of the range joined with the newest label of
 * each event known now. Labels come after their transaction, so only label partitions from the
 * range's start on are read.
 */
export function labelledHistogramSql(range: Pick<TimeRange, 'from' | 'to'>): string {
  return sql`SELECT model_name, model_version, bin, is_fraud, count() AS n
FROM (
  SELECT event_id, model_name, model_version, ${BIN} AS bin
  FROM scores
  WHERE event_time >= toDateTime(${range.from}) AND event_time < toDateTime(${range.to})
)
ANY INNER JOIN (
  SELECT transaction_id AS event_id, argMax(is_fraud, label_time_ms) AS is_fraud
  FROM labels
  WHERE label_time >= toDateTime(${range.from})
  GROUP BY transaction_id
) USING event_id
GROUP BY model_name, model_version, bin, is_fraud
ORDER BY model_name, model_version, bin, is_fraud
LIMIT 20000`;
}

/**
 * Each shadow or challenger score against the deciding score of the same event: how many events
 * both scored, the mean absolute difference, the share on which both agree at FLAG_THRESHOLD, the
 * events only one of them flags, and the correlation.
 */
export function agreementSql(range: Pick<TimeRange, 'from' | 'to'>): string {
  const t = FLAG_THRESHOLD;
  return sql`SELECT deciding_model, model_name, model_version, count() AS n,
  avg(abs(score - deciding_score)) AS mean_abs_diff,
  avg((score >= ${t}) = (deciding_score >= ${t})) AS agree,
  countIf(score >= ${t} AND deciding_score >= ${t}) AS both_flag,
  countIf(score < ${t} AND deciding_score >= ${t}) AS deciding_only,
  countIf(score >= ${t} AND deciding_score < ${t}) AS other_only,
  corr(score, deciding_score) AS correlation
FROM (
  SELECT event_id, model_name, model_version, score
  FROM scores
  WHERE event_time >= toDateTime(${range.from}) AND event_time < toDateTime(${range.to}) AND shadow = 1
)
ANY INNER JOIN (
  SELECT event_id, concat(model_name, '@', model_version) AS deciding_model, score AS deciding_score
  FROM scores
  WHERE event_time >= toDateTime(${range.from}) AND event_time < toDateTime(${range.to}) AND shadow = 0
) USING event_id
GROUP BY deciding_model, model_name, model_version
ORDER BY n DESC
LIMIT 100`;
}
