import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { type Label, labelProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * labels (migrations 0001, 0005): keyed by (transaction_id, label_time_ms), so corrections are kept
 * as versions. transaction_time_ms: the labelled transaction's event time (NULL in rows stored
 * before 0005). customer_id and terminal_id are tokens (docs/security.md).
 */
export interface LabelRow {
  transaction_id: string;
  customer_id: string;
  terminal_id: string;
  is_fraud: boolean;
  label_time: number;
  label_time_ms: number;
  transaction_time_ms: number;
}

export const LABEL_COLUMNS = [
  'transaction_id',
  'customer_id',
  'terminal_id',
  'is_fraud',
  'label_time',
  'label_time_ms',
  'transaction_time_ms',
] as const satisfies readonly (keyof LabelRow)[];

export const labelsTable: TableSpec<LabelRow> = { name: 'labels', columns: LABEL_COLUMNS };

/** The row of a label; one the contract refuses (`labelProblem`) is not stored. */
export function labelRow(value: Label, tokens: Tokenizer): LabelRow {
  const problem = labelProblem(value);
  if (problem) throw new RowRejectedError(problem);
  return {
    transaction_id: value.transaction_id,
    customer_id: tokens.token('customer', value.customer_id),
    terminal_id: tokens.token('terminal', value.terminal_id),
    is_fraud: value.is_fraud,
    label_time: dateTimeSeconds(value.label_time, 'label_time'),
    label_time_ms: epochMs(value.label_time, 'label_time'),
    // labelProblem refused a label without it
    transaction_time_ms: epochMs(value.transaction_time as number, 'transaction_time'),
  };
}

export function insertLabels(client: ClickHouseClient, rows: readonly LabelRow[]): Promise<void> {
  return insertRows(client, labelsTable, rows);
}
