import type { ClickHouseClient } from '@pipeline/shared';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from '@pipeline/sink/tables/table';
import type { BatchScore } from './types.js';

/** batch_scores (migration 0008): one row per event per model version scored by a batch run. */
export interface BatchScoreRow {
  event_id: string;
  model_name: string;
  model_version: string;
  feature_set: string;
  feature_set_version: number;
  score: number;
  contribution_features: string[];
  contribution_values: number[];
  run_id: string;
  scored_at: number;
  scored_at_ms: number;
}

export const BATCH_SCORE_COLUMNS = [
  'event_id',
  'model_name',
  'model_version',
  'feature_set',
  'feature_set_version',
  'score',
  'contribution_features',
  'contribution_values',
  'run_id',
  'scored_at',
  'scored_at_ms',
] as const satisfies readonly (keyof BatchScoreRow)[];

/** The migration's table; `--table` may name another with the same columns. */
export const batchScoresTable: TableSpec<BatchScoreRow> = { name: 'batch_scores', columns: BATCH_SCORE_COLUMNS };

export function batchScoreRow(score: BatchScore, run: { runId: string; scoredAtMs: number }): BatchScoreRow {
  return {
    event_id: score.event_id,
    model_name: score.model_name,
    model_version: score.model_version,
    feature_set: score.feature_set,
    feature_set_version: score.feature_set_version,
    score: score.score,
    contribution_features: score.contributions.map((c) => c.feature),
    contribution_values: score.contributions.map((c) => c.value),
    run_id: run.runId,
    scored_at: dateTimeSeconds(run.scoredAtMs, 'scored_at'),
    scored_at_ms: epochMs(run.scoredAtMs, 'scored_at'),
  };
}

export function insertBatchScores(
  client: ClickHouseClient,
  rows: readonly BatchScoreRow[],
  table: TableSpec<BatchScoreRow> = batchScoresTable,
): Promise<void> {
  return insertRows(client, table, rows);
}
