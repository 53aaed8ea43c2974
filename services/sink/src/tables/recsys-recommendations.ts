import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { idProblem, type Recommendation, timeProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * recsys_recommendations (migration 0013): one ranked list per request, keyed by request_id, the
 * items as parallel arrays in list order (index i is position i). user_id is a token.
 */
export interface RecommendationRow {
  request_id: string;
  user_id: string;
  event_time: number;
  item_ids: string[];
  item_scores: (number | null)[];
  item_reason_codes: string[][];
  path: string;
  rule_set_version: string;
  model_name: string | null;
  model_version: string | null;
  feature_set_version: number;
  experiment_variant: string;
  decided_at: number;
  decided_at_ms: number;
}

export const RECOMMENDATION_COLUMNS = [
  'request_id',
  'user_id',
  'event_time',
  'item_ids',
  'item_scores',
  'item_reason_codes',
  'path',
  'rule_set_version',
  'model_name',
  'model_version',
  'feature_set_version',
  'experiment_variant',
  'decided_at',
  'decided_at_ms',
] as const satisfies readonly (keyof RecommendationRow)[];

export const recommendationsTable: TableSpec<RecommendationRow> = {
  name: 'recsys_recommendations',
  columns: RECOMMENDATION_COLUMNS,
};

/**
 * Why a recommendation cannot be stored, or undefined. The quality views rank by list order, so the
 * positions must be the list's order (0, 1, 2, ...), as the schema declares.
 */
export function recommendationRowProblem(r: Recommendation): string | undefined {
  return (
    idProblem('request_id', r.request_id) ??
    idProblem('user_id', r.user_id) ??
    r.items.reduce<string | undefined>(
      (found, item, i) =>
        found ??
        idProblem(`items[${i}].item_id`, item.item_id) ??
        (item.position === i ? undefined : `items[${i}] has position ${item.position}, not its place in the list`) ??
        (item.score === null || Number.isFinite(item.score)
          ? undefined
          : `items[${i}].score is ${item.score}, not a finite number`),
      undefined,
    ) ??
    (new Set(r.items.map((i) => i.item_id)).size === r.items.length ? undefined : 'an item is listed twice') ??
    timeProblem('event_time', r.event_time) ??
    timeProblem('decided_at', r.decided_at)
  );
}

export function recommendationRow(value: Recommendation, tokens: Tokenizer): RecommendationRow {
  const problem = recommendationRowProblem(value);
  if (problem) throw new RowRejectedError(problem);
  return {
    request_id: value.request_id,
    user_id: tokens.token('user', value.user_id),
    event_time: dateTimeSeconds(value.event_time, 'event_time'),
    item_ids: value.items.map((i) => i.item_id),
    item_scores: value.items.map((i) => i.score),
    item_reason_codes: value.items.map((i) => i.reason_codes),
    path: value.path,
    rule_set_version: value.rule_set_version,
    model_name: value.model_name,
    model_version: value.model_version,
    feature_set_version: value.feature_set_version,
    experiment_variant: value.experiment_variant,
    decided_at: dateTimeSeconds(value.decided_at, 'decided_at'),
    decided_at_ms: epochMs(value.decided_at, 'decided_at'),
  };
}

export function insertRecommendations(client: ClickHouseClient, rows: readonly RecommendationRow[]): Promise<void> {
  return insertRows(client, recommendationsTable, rows);
}
