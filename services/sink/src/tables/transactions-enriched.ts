import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { type EnrichedTransaction, TRANSACTION_FIELDS, transactionProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * transactions_enriched (migrations 0001, 0010_backtest): each transaction with its feature vector as served.
 * event_time_ms: the event time to the millisecond (event_time is whole seconds), so the transaction
 * can be rebuilt exactly from the row (the backtest replays it). customer_id and terminal_id are
 * tokens (docs/security.md): the raw identifiers never reach ClickHouse.
 */
export interface EnrichedRow {
  event_id: string;
  event_time: number;
  customer_id: string;
  terminal_id: string;
  amount_minor: number;
  currency: string;
  channel: string;
  country: string;
  device_hash: string | null;
  ip_hash: string | null;
  feature_set: string;
  feature_set_version: number;
  feature_values: number[];
  computed_at: number;
  computed_at_ms: number;
  event_time_ms: number;
}

export const ENRICHED_COLUMNS = [
  ...TRANSACTION_FIELDS,
  'feature_set',
  'feature_set_version',
  'feature_values',
  'computed_at',
  'computed_at_ms',
  'event_time_ms',
] as const satisfies readonly (keyof EnrichedRow)[];

export const enrichedTable: TableSpec<EnrichedRow> = { name: 'transactions_enriched', columns: ENRICHED_COLUMNS };

/** The row of an enriched transaction; one the contract refuses (`transactionProblem`) is not stored. */
export function enrichedRow(value: EnrichedTransaction, tokens: Tokenizer): EnrichedRow {
  const t = value.transaction;
  const problem = transactionProblem(t);
  if (problem) throw new RowRejectedError(problem);
  return {
    event_id: t.event_id,
    event_time: dateTimeSeconds(t.event_time, 'transaction.event_time'),
    customer_id: tokens.token('customer', t.customer_id),
    terminal_id: tokens.token('terminal', t.terminal_id),
    amount_minor: t.amount_minor,
    currency: t.currency,
    channel: t.channel,
    country: t.country,
    device_hash: t.device_hash,
    ip_hash: t.ip_hash,
    feature_set: value.features.feature_set,
    feature_set_version: value.features.version,
    feature_values: value.features.values,
    computed_at: dateTimeSeconds(value.computed_at, 'computed_at'),
    computed_at_ms: epochMs(value.computed_at, 'computed_at'),
    event_time_ms: epochMs(t.event_time, 'transaction.event_time'),
  };
}

export function insertEnriched(client: ClickHouseClient, rows: readonly EnrichedRow[]): Promise<void> {
  return insertRows(client, enrichedTable, rows);
}
