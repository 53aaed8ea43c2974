import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { type Interaction, interactionProblem } from '@pipeline/topology';
import { RowRejectedError } from '../errors.js';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * recsys_interactions (migration 0013): every view, click, cart add and purchase, keyed by event_id.
 * user_id is a token (docs/security.md); item ids and categories are catalogue data, kept as they are.
 */
export interface InteractionRow {
  event_id: string;
  event_time: number;
  event_time_ms: number;
  user_id: string;
  item_id: string;
  category: string;
  type: string;
  recommendation_id: string | null;
  position: number | null;
  price_minor: number | null;
}

export const INTERACTION_COLUMNS = [
  'event_id',
  'event_time',
  'event_time_ms',
  'user_id',
  'item_id',
  'category',
  'type',
  'recommendation_id',
  'position',
  'price_minor',
] as const satisfies readonly (keyof InteractionRow)[];

export const interactionsTable: TableSpec<InteractionRow> = {
  name: 'recsys_interactions',
  columns: INTERACTION_COLUMNS,
};

/** The row of an interaction; one the contract refuses (`interactionProblem`) is not stored. */
export function interactionRow(value: Interaction, tokens: Tokenizer): InteractionRow {
  const problem = interactionProblem(value);
  if (problem) throw new RowRejectedError(problem);
  return {
    event_id: value.event_id,
    event_time: dateTimeSeconds(value.event_time, 'event_time'),
    event_time_ms: epochMs(value.event_time, 'event_time'),
    user_id: tokens.token('user', value.user_id),
    item_id: value.item_id,
    category: value.category,
    type: value.type,
    recommendation_id: value.recommendation_id,
    position: value.position,
    price_minor: value.price_minor,
  };
}

export function insertInteractions(client: ClickHouseClient, rows: readonly InteractionRow[]): Promise<void> {
  return insertRows(client, interactionsTable, rows);
}
