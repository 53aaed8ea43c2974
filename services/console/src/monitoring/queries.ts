import { raw, sql } from '@pipeline/shared';
import { inList } from '../decisions/queries.js';

/**
 * The monitoring page's reads of the monitor's own tables (migration 0003: monitor_metrics,
 * monitor_runs, monitor_episodes, monitor_alerts, retrainings; services/monitor). Every read of
 * monitor_metrics, monitor_alerts and retrainings is bounded by its monthly partition key
 * (window_end, cutoff) and a LIMIT; monitor_metrics is narrowed by its sorting key (model, version,
 * variant, kind, metric) where a series is chosen. FINAL: a re-run of a window replaces its rows.
 */

/** A range of window ends (epoch s): from inclusive, to exclusive. */
export interface WindowRange {
  from: number;
  to: number;
}

/** One model version in one experiment variant (the monitor's figures are per series). */
export interface Series {
  model: string;
  version: string;
  variant: string;
}

/** The newest run's window end and how many runs there are (one row per window end; small). */
export function newestRunSql(): string {
  return 'SELECT toUInt32(max(window_end)) AS t, count() AS n FROM monitor_runs';
}

const inRange = (r: WindowRange) => sql`window_end >= toDateTime(${r.from}) AND window_end < toDateTime(${r.to})`;

const isSeries = (s: Series) =>
  sql`model_name = ${s.model} AND model_version = ${s.version} AND variant = ${s.variant}`;

/** The runs in the range: rows, figures, breaches, alerts, triggers, duration. */
export function runsSql(r: WindowRange): string {
  return sql`SELECT toUInt32(window_end) AS t, rows, figures, breaches, alerts, triggers, duration_ms
FROM monitor_runs FINAL
WHERE ${raw(inRange(r))}
ORDER BY t DESC
LIMIT 2000`;
}

/** The model series with figures in the range, newest first (the page's choice of series). */
export function seriesSql(r: WindowRange): string {
  return sql`SELECT model_name, model_version, variant, toUInt32(max(window_end)) AS t, count() AS n
FROM monitor_metrics
WHERE ${raw(inRange(r))} AND model_name != ''
GROUP BY model_name, model_version, variant
ORDER BY t DESC, n DESC
LIMIT 50`;
}

/** Per subject and metric of one series' drift and quality checks: the newest value, and the largest in the range. */
export function latestFiguresSql(r: WindowRange, s: Series): string {
  return sql`SELECT toString(kind) AS kind, subject, metric, argMax(value, window_end) AS latest, argMax(breached, window_end) AS latest_breached,
  argMax(threshold, window_end) AS latest_threshold, argMax(n, window_end) AS latest_n, maxIf(value, NOT isNaN(value)) AS max_value, toUInt32(max(window_end)) AS t
FROM monitor_metrics FINAL
WHERE ${raw(isSeries(s))} AND kind IN ('DRIFT', 'QUALITY') AND ${raw(inRange(r))}
GROUP BY kind, subject, metric
ORDER BY kind, subject, metric
LIMIT 2000`;
}

/** PSI and KS over time of some subjects (the score, one feature) of one series. */
export function driftSeriesSql(r: WindowRange, s: Series, subjects: readonly string[]): string {
  return sql`SELECT toUInt32(window_end) AS t, subject, metric, value, breached
FROM monitor_metrics FINAL
WHERE ${raw(isSeries(s))} AND kind = 'DRIFT' AND metric IN ('psi', 'ks') AND subject IN (${inList(subjects)}) AND ${raw(inRange(r))}
ORDER BY t, subject, metric
LIMIT 20000`;
}

/** Realized performance of every series over time: ROC AUC, average precision, card precision@k. */
export function performanceSql(r: WindowRange): string {
  return sql`SELECT toUInt32(window_end) AS t, model_name, model_version, variant, metric, value, breached, n
FROM monitor_metrics FINAL
WHERE kind = 'PERFORMANCE' AND (metric IN ('roc_auc', 'average_precision') OR metric LIKE 'card_precision_at_%') AND ${raw(inRange(r))}
ORDER BY t, model_name, model_version, variant, metric
LIMIT 20000`;
}

/** Pipeline-wide quality over time: volume ratio (per series) and the dead-letter share (model ''). */
export function qualitySeriesSql(r: WindowRange): string {
  return sql`SELECT toUInt32(window_end) AS t, model_name, model_version, variant, metric, value, breached
FROM monitor_metrics FINAL
WHERE kind = 'QUALITY' AND subject = '' AND metric IN ('volume_ratio', 'dead_letter_share') AND ${raw(inRange(r))}
ORDER BY t, model_name, model_version, variant, metric
LIMIT 20000`;
}

/** Alerts emitted for windows in the range, newest first, with their evidence and trigger. */
export function alertsSql(r: WindowRange, limit = 100): string {
  return sql`SELECT alert_id, episode_id, toString(status) AS status, toString(kind) AS kind, model_name, model_version, variant,
  toUInt32(window_start) AS window_start, toUInt32(window_end) AS window_end, reasons, evidence_subjects, evidence_metrics,
  evidence_values, trigger_id, emitted_at_ms
FROM monitor_alerts FINAL
WHERE ${raw(inRange(r))}
ORDER BY emitted_at_ms DESC, alert_id
LIMIT ${limit}`;
}

/** Episodes open now (one row per check, model version and variant: a small table). */
export function openEpisodesSql(): string {
  return `SELECT toString(kind) AS kind, model_name, model_version, variant, episode_id, toUInt32(opened_at) AS opened_at, clean_runs, toUInt32(last_window_end) AS last_window_end
FROM monitor_episodes FINAL
WHERE state = 'OPEN'
ORDER BY opened_at DESC
LIMIT 100`;
}

/** Retrainings whose cut-off is in the range, newest first, with both models' figures and the outcome. */
export function retrainingsSql(r: WindowRange, limit = 50): string {
  return sql`SELECT trigger_id, model_name, champion_version, reasons, toUInt32(cutoff) AS cutoff, train_rows, train_frauds, eval_rows, eval_frauds,
  metric, margin, candidate_roc_auc, candidate_average_precision, champion_roc_auc, champion_average_precision,
  toString(decision) AS decision, candidate_version, error, duration_ms, finished_at_ms
FROM retrainings FINAL
WHERE cutoff >= toDateTime(${r.from}) AND cutoff < toDateTime(${r.to})
ORDER BY finished_at_ms DESC, trigger_id
LIMIT ${limit}`;
}
