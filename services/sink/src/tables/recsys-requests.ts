import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { type RecommendationRequest, requestProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/** recsys_requests (migration 0013): every recommendation request, keyed by request_id; user_id is a token. */
export interface RequestRow {
  request_id: string;
  event_time: number;
  event_time_ms: number;
  user_id: string;
  surface: string;
  device: string | null;
  current_item_id: string | null;
  candidate_item_ids: string[];
  candidate_source: string | null;
  k: number;
}

export const REQUEST_COLUMNS = [
  'request_id',
  'event_time',
  'event_time_ms',
  'user_id',
  'surface',
  'device',
  'current_item_id',
  'candidate_item_ids',
  'candidate_source',
  'k',
] as const satisfies readonly (keyof RequestRow)[];

export const requestsTable: TableSpec<RequestRow> = { name: 'recsys_requests', columns: REQUEST_COLUMNS };

/** The row of a request; one the contract refuses (`requestProblem`) is not stored. */
export function requestRow(value: RecommendationRequest, tokens: Tokenizer): RequestRow {
  const problem = requestProblem(value);
  if (problem) throw new RowRejectedError(problem);
  return {
    request_id: value.request_id,
    event_time: dateTimeSeconds(value.event_time, 'event_time'),
    event_time_ms: epochMs(value.event_time, 'event_time'),
    user_id: tokens.token('user', value.user_id),
    surface: value.context.surface,
    device: value.context.device,
    current_item_id: value.context.current_item_id,
    candidate_item_ids: value.candidate_item_ids,
    candidate_source: value.candidate_source,
    k: value.k,
  };
}

export function insertRequests(client: ClickHouseClient, rows: readonly RequestRow[]): Promise<void> {
  return insertRows(client, requestsTable, rows);
}
