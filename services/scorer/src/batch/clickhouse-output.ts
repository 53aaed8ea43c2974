import type { ClickHouseClient } from '@pipeline/shared';
import { identifier, sql } from '@pipeline/shared';
import type { TableSpec } from '@pipeline/sink/tables/table';
import { BatchError } from '../errors.js';
import { BATCH_SCORE_COLUMNS, type BatchScoreRow, batchScoreRow, insertBatchScores } from './batch-scores-table.js';
import type { BatchOutput } from './types.js';

/** Refuses a table that lacks a batch_scores column, before anything is scored. */
export async function checkTable(client: ClickHouseClient, table: string): Promise<void> {
  let columns: string[];
  try {
    const result = await client.query({ query: sql`DESCRIBE TABLE ${identifier(table)}`, format: 'JSONEachRow' });
    columns = (await result.json<{ name: string }>()).map((c) => c.name);
  } catch (error) {
    throw new BatchError(
      `cannot write to table ${table}: ${(error as Error).message} (batch_scores is created by migration 0008_batch_scores.sql, which the sink applies at start)`,
      { cause: error },
    );
  }
  const missing = BATCH_SCORE_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new BatchError(`table ${table} lacks the batch_scores columns ${missing.join(', ')}`);
}

/**
 * Scores to a ClickHouse table with the batch_scores columns, in inserts of `insertRows` rows; the
 * runner waits while one is in flight. Rows already inserted when a run fails stay: running again
 * replaces them (ReplacingMergeTree on model, version and event).
 */
export function clickhouseOutput(
  client: ClickHouseClient,
  options: { table: string; runId: string; scoredAtMs: number; insertRows: number },
): BatchOutput {
  const table: TableSpec<BatchScoreRow> = { name: options.table, columns: BATCH_SCORE_COLUMNS };
  const run = { runId: options.runId, scoredAtMs: options.scoredAtMs };
  let buffer: BatchScoreRow[] = [];
  const flush = async () => {
    const rows = buffer;
    buffer = [];
    await insertBatchScores(client, rows, table);
  };
  return {
    target: `table ${options.table}`,
    async write(scores) {
      for (const s of scores) buffer.push(batchScoreRow(s, run));
      if (buffer.length >= options.insertRows) await flush();
    },
    close: flush,
    async abort() {
      buffer = [];
    },
  };
}
