import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import type { Decision } from '@pipeline/topology';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/** decisions (migration 0001): the decision with its reasons and provenance; customer_id is a token. */
export interface DecisionRow {
  event_id: string;
  customer_id: string;
  event_time: number;
  action: string;
  reason_codes: string[];
  score: number | null;
  path: string;
  rule_set_version: string;
  model_name: string | null;
  model_version: string | null;
  feature_set_version: number;
  experiment_variant: string;
  decided_at: number;
  decided_at_ms: number;
}

export const DECISION_COLUMNS = [
  'event_id',
  'customer_id',
  'event_time',
  'action',
  'reason_codes',
  'score',
  'path',
  'rule_set_version',
  'model_name',
  'model_version',
  'feature_set_version',
  'experiment_variant',
  'decided_at',
  'decided_at_ms',
] as const satisfies readonly (keyof DecisionRow)[];

export const decisionsTable: TableSpec<DecisionRow> = { name: 'decisions', columns: DECISION_COLUMNS };

export function decisionRow(value: Decision, tokens: Tokenizer): DecisionRow {
  return {
    event_id: value.event_id,
    customer_id: tokens.token('customer', value.customer_id),
    event_time: dateTimeSeconds(value.event_time, 'event_time'),
    action: value.action,
    reason_codes: value.reason_codes,
    score: value.score,
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

export function insertDecisions(client: ClickHouseClient, rows: readonly DecisionRow[]): Promise<void> {
  return insertRows(client, decisionsTable, rows);
}
