import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { type RecommendationScores, recommendationScoresProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * recsys_scores (migration 0013): one row per request per model (champion and shadows); `scores` in
 * the request's candidate order (join recsys_requests on request_id for the items). user_id is a token.
 */
export interface RecsysScoreRow {
  request_id: string;
  user_id: string;
  event_time: number;
  model_name: string;
  model_version: string;
  feature_set_version: number;
  scores: number[];
  shadow: boolean;
  latency_ms: number;
  scored_at: number;
  scored_at_ms: number;
}

export const RECSYS_SCORE_COLUMNS = [
  'request_id',
  'user_id',
  'event_time',
  'model_name',
  'model_version',
  'feature_set_version',
  'scores',
  'shadow',
  'latency_ms',
  'scored_at',
  'scored_at_ms',
] as const satisfies readonly (keyof RecsysScoreRow)[];

export const recsysScoresTable: TableSpec<RecsysScoreRow> = { name: 'recsys_scores', columns: RECSYS_SCORE_COLUMNS };

/** The row of a request's scores; ones the contract refuses (`recommendationScoresProblem`) are not stored. */
export function recsysScoreRow(value: RecommendationScores, tokens: Tokenizer): RecsysScoreRow {
  const problem = recommendationScoresProblem(value);
  if (problem) throw new RowRejectedError(problem);
  return {
    request_id: value.request_id,
    user_id: tokens.token('user', value.user_id),
    event_time: dateTimeSeconds(value.event_time, 'event_time'),
    model_name: value.model_name,
    model_version: value.model_version,
    feature_set_version: value.feature_set_version,
    scores: value.scores,
    shadow: value.shadow,
    latency_ms: value.latency_ms,
    scored_at: dateTimeSeconds(value.scored_at, 'scored_at'),
    scored_at_ms: epochMs(value.scored_at, 'scored_at'),
  };
}

export function insertRecsysScores(client: ClickHouseClient, rows: readonly RecsysScoreRow[]): Promise<void> {
  return insertRows(client, recsysScoresTable, rows);
}
