import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import type { Score } from '@pipeline/topology';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/** scores (migration 0001): one row per transaction per model; contributions as two parallel arrays; customer_id is a token. */
export interface ScoreRow {
  event_id: string;
  customer_id: string;
  event_time: number;
  model_name: string;
  model_version: string;
  feature_set_version: number;
  score: number;
  shadow: boolean;
  latency_ms: number;
  scored_at: number;
  scored_at_ms: number;
  contribution_features: string[];
  contribution_values: number[];
}

export const SCORE_COLUMNS = [
  'event_id',
  'customer_id',
  'event_time',
  'model_name',
  'model_version',
  'feature_set_version',
  'score',
  'shadow',
  'latency_ms',
  'scored_at',
  'scored_at_ms',
  'contribution_features',
  'contribution_values',
] as const satisfies readonly (keyof ScoreRow)[];

export const scoresTable: TableSpec<ScoreRow> = { name: 'scores', columns: SCORE_COLUMNS };

export function scoreRow(value: Score, tokens: Tokenizer): ScoreRow {
  return {
    event_id: value.event_id,
    customer_id: tokens.token('customer', value.customer_id),
    event_time: dateTimeSeconds(value.event_time, 'event_time'),
    model_name: value.model_name,
    model_version: value.model_version,
    feature_set_version: value.feature_set_version,
    score: value.score,
    shadow: value.shadow,
    latency_ms: value.latency_ms,
    scored_at: dateTimeSeconds(value.scored_at, 'scored_at'),
    scored_at_ms: epochMs(value.scored_at, 'scored_at'),
    contribution_features: value.contributions.map((c) => c.feature),
    contribution_values: value.contributions.map((c) => c.value),
  };
}

export function insertScores(client: ClickHouseClient, rows: readonly ScoreRow[]): Promise<void> {
  return insertRows(client, scoresTable, rows);
}
