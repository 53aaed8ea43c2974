import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { type EnrichedRequest, enrichedRequestProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * recsys_enriched_requests (migration 0014): one row per request, its candidates' vectors as logged
 * at serving time, in the request's order (`feature_values[i]` is `candidate_item_ids[i]`'s).
 * user_id is a token.
 */
export interface EnrichedRequestRow {
  request_id: string;
  event_time: number;
  user_id: string;
  feature_set: string;
  feature_set_version: number;
  candidate_item_ids: string[];
  candidate_categories: string[];
  feature_values: number[][];
  computed_at: number;
  computed_at_ms: number;
}

export const ENRICHED_REQUEST_COLUMNS = [
  'request_id',
  'event_time',
  'user_id',
  'feature_set',
  'feature_set_version',
  'candidate_item_ids',
  'candidate_categories',
  'feature_values',
  'computed_at',
  'computed_at_ms',
] as const satisfies readonly (keyof EnrichedRequestRow)[];

export const enrichedRequestsTable: TableSpec<EnrichedRequestRow> = {
  name: 'recsys_enriched_requests',
  columns: ENRICHED_REQUEST_COLUMNS,
};

/** The row of an enriched request; ones the contract refuses (`enrichedRequestProblem`) are not stored. */
export function enrichedRequestRow(value: EnrichedRequest, tokens: Tokenizer): EnrichedRequestRow {
  const problem = enrichedRequestProblem(value);
  if (problem) throw new RowRejectedError(problem);
  const { request, features } = value;
  return {
    request_id: request.request_id,
    event_time: dateTimeSeconds(request.event_time, 'event_time'),
    user_id: tokens.token('user', request.user_id),
    feature_set: features.feature_set,
    feature_set_version: features.version,
    candidate_item_ids: features.candidates.map((c) => c.item_id),
    candidate_categories: features.candidates.map((c) => c.category),
    feature_values: features.candidates.map((c) => c.values),
    computed_at: dateTimeSeconds(value.computed_at, 'computed_at'),
    computed_at_ms: epochMs(value.computed_at, 'computed_at'),
  };
}

export function insertEnrichedRequests(client: ClickHouseClient, rows: readonly EnrichedRequestRow[]): Promise<void> {
  return insertRows(client, enrichedRequestsTable, rows);
}
