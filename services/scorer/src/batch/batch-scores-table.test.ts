import { readFileSync } from 'node:fs';
import { insertSql } from '@pipeline/sink/tables/table';
import { describe, expect, it } from 'vitest';
import { BATCH_SCORE_COLUMNS, batchScoreRow, batchScoresTable } from './batch-scores-table.js';

const migration = readFileSync(
  new URL('../../../../infra/clickhouse/migrations/0008_batch_scores.sql', import.meta.url),
  'utf8',
);

describe('batch_scores (migration 0008)', () => {
  it('declares the columns the module inserts, in the same order', () => {
    const body = /CREATE TABLE IF NOT EXISTS batch_scores \(([\s\S]*?)\) ENGINE/.exec(migration)?.[1] ?? '';
    const columns = body
      .split('\n')
      .map((l) => /^\s*(\w+)\s/.exec(l)?.[1])
      .filter((c) => c !== undefined);
    expect(columns).toEqual([...BATCH_SCORE_COLUMNS]);
  });

  it('maps a score to a row (contributions as two arrays, the run time as seconds and ms) and an INSERT', () => {
    const row = batchScoreRow(
      {
        event_id: "e'1",
        model_name: 'fraud_gbdt',
        model_version: '2',
        feature_set: 'fraud_core',
        feature_set_version: 2,
        score: 0.25,
        contributions: [
          { feature: 'event_amount', value: 0.125 },
          { feature: 'event_is_night', value: 0.0625 },
        ],
      },
      { runId: 'run-1', scoredAtMs: 1_767_225_600_123 },
    );
    expect(row).toMatchObject({
      contribution_features: ['event_amount', 'event_is_night'],
      contribution_values: [0.125, 0.0625],
      scored_at: 1_767_225_600,
      scored_at_ms: 1_767_225_600_123,
      run_id: 'run-1',
    });
    expect(insertSql(batchScoresTable, [row])).toBe(
      `INSERT INTO batch_scores (${BATCH_SCORE_COLUMNS.join(', ')}) VALUES\n('e\\'1', 'fraud_gbdt', '2', 'fraud_core', 2, 0.25, ['event_amount', 'event_is_night'], [0.125, 0.0625], 'run-1', 1767225600, 1767225600123)`,
    );
  });
});
