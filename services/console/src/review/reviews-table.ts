import { type ClickHouseClient, literal, raw, sql } from '@pipeline/shared';

/**
 * console_reviews (migration 0006): who reviewed which event, when, and the label it published.
 * ReplacingMergeTree on event_id: a retried insert collapses to one row; read with FINAL.
 */
export interface ReviewRow {
  event_id: string;
  customer_id: string;
  terminal_id: string;
  is_fraud: boolean;
  reviewer: string;
  reviewed_at: number;
  reviewed_at_ms: number;
  label_time_ms: number;
  transaction_time_ms: number;
}

export const REVIEW_COLUMNS = [
  'event_id',
  'customer_id',
  'terminal_id',
  'is_fraud',
  'reviewer',
  'reviewed_at',
  'reviewed_at_ms',
  'label_time_ms',
  'transaction_time_ms',
] as const satisfies readonly (keyof ReviewRow)[];

export function insertReviewSql(row: ReviewRow): string {
  const columns = raw(REVIEW_COLUMNS.join(', '));
  const values = raw(REVIEW_COLUMNS.map((c) => literal(row[c])).join(', '));
  return sql`INSERT INTO console_reviews (${columns}) VALUES (${values})`;
}

export async function insertReview(client: ClickHouseClient, row: ReviewRow): Promise<void> {
  await client.command({ query: insertReviewSql(row) });
}
