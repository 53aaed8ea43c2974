import { sql } from '@pipeline/shared';

/**
 * The experiments page's reads of the experiment analysis's tables (migration 0009:
 * experiment_results, experiment_decisions; services/experiments). Both are small (a row per look,
 * variant and metric; a look a day) and ReplacingMergeTree: FINAL, since a re-run of a look replaces
 * its rows.
 */

/** Each experiment and challenger variant where it stands: its newest look, and how many looks. */
export function standingsSql(): string {
  return `SELECT experiment, variant, argMax(control, as_of) AS control, toUInt32(max(as_of)) AS newest, count() AS looks,
  toString(argMax(verdict, as_of)) AS verdict, toString(argMax(recommendation, as_of)) AS recommendation,
  toString(argMax(mode, as_of)) AS mode, toString(argMax(action_status, as_of)) AS action_status,
  argMax(action_detail, as_of) AS action_detail, argMax(control_model, as_of) AS control_model,
  argMax(variant_model, as_of) AS variant_model, argMax(min_p_value, as_of) AS min_p_value, argMax(reasons, as_of) AS reasons
FROM experiment_decisions FINAL
GROUP BY experiment, variant
ORDER BY newest DESC, experiment, variant
LIMIT 200`;
}

/** Every look of one experiment: verdict, recommendation and what the policy did, newest first. */
export function looksSql(experiment: string): string {
  return sql`SELECT variant, toUInt32(as_of) AS as_of, toString(verdict) AS verdict, toString(recommendation) AS recommendation,
  toString(mode) AS mode, toString(action_status) AS action_status, action_detail, min_p_value, reasons
FROM experiment_decisions FINAL
WHERE experiment = ${experiment}
ORDER BY as_of DESC, variant
LIMIT 1000`;
}

/** Every figure of every look of one experiment, oldest look first (timelines and the newest table). */
export function figuresSql(experiment: string): string {
  return sql`SELECT variant, toUInt32(as_of) AS as_of, metric, toString(kind) AS kind, units, n, value, control_value, difference,
  ci_low, ci_high, cs_low, cs_high, p_value, mde, realized, breached
FROM experiment_results FINAL
WHERE experiment = ${experiment}
ORDER BY as_of, variant, metric
LIMIT 20000`;
}
