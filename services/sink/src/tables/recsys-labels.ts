import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { type RecommendationLabel, recommendationLabelProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * recsys_labels (migration 0013): one row per attributed interaction, keyed by interaction_id (the
 * schema's idempotency key). user_id is a token.
 */
export interface RecsysLabelRow {
  interaction_id: string;
  recommendation_id: string;
  user_id: string;
  item_id: string;
  position: number;
  outcome: string;
  recommendation_time: number;
  recommendation_time_ms: number;
  label_time: number;
  label_time_ms: number;
}

export const RECSYS_LABEL_COLUMNS = [
  'interaction_id',
  'recommendation_id',
  'user_id',
  'item_id',
  'position',
  'outcome',
  'recommendation_time',
  'recommendation_time_ms',
  'label_time',
  'label_time_ms',
] as const satisfies readonly (keyof RecsysLabelRow)[];

export const recsysLabelsTable: TableSpec<RecsysLabelRow> = { name: 'recsys_labels', columns: RECSYS_LABEL_COLUMNS };

/** The row of a label; one the contract refuses (`recommendationLabelProblem`) is not stored. */
export function recsysLabelRow(value: RecommendationLabel, tokens: Tokenizer): RecsysLabelRow {
  const problem = recommendationLabelProblem(value);
  if (problem) throw new RowRejectedError(problem);
  return {
    interaction_id: value.interaction_id,
    recommendation_id: value.recommendation_id,
    user_id: tokens.token('user', value.user_id),
    item_id: value.item_id,
    position: value.position,
    outcome: value.outcome,
    recommendation_time: dateTimeSeconds(value.recommendation_time, 'recommendation_time'),
    recommendation_time_ms: epochMs(value.recommendation_time, 'recommendation_time'),
    label_time: dateTimeSeconds(value.label_time, 'label_time'),
    label_time_ms: epochMs(value.label_time, 'label_time'),
  };
}

export function insertRecsysLabels(client: ClickHouseClient, rows: readonly RecsysLabelRow[]): Promise<void> {
  return insertRows(client, recsysLabelsTable, rows);
}
