import { describe, expect, it } from 'vitest';
import { alreadyApplied, readMigrations, splitStatements } from './migrations.js';

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment lines', () => {
    const text =
      '-- tables; one per statement\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\n-- next\nCREATE VIEW v AS\nSELECT x FROM a;\n';
    expect(splitStatements(text)).toEqual([
      'CREATE TABLE a (x UInt8) ENGINE = Memory',
      'CREATE VIEW v AS\nSELECT x FROM a',
    ]);
  });
});

describe('the migrations in infra/clickhouse/migrations', () => {
  it('are numbered from 0001 without gaps and create the tables and views the sink, the monitor and analysts use', () => {
    const migrations = readMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    const created = migrations.flatMap((m) =>
      m.statements.flatMap((s) => /^CREATE (?:TABLE|VIEW) IF NOT EXISTS (\w+)/.exec(s)?.[1] ?? []),
    );
    expect(created).toEqual([
      'transactions_enriched',
      'scores',
      'decisions',
      'labels',
      'labels_latest',
      'decision_mix_daily',
      'fraud_by_model_variant',
      'confusion_by_threshold',
      'training_set',
      'monitor_metrics',
      'monitor_runs',
      'monitor_episodes',
      'monitor_alerts',
      'retrainings',
      'dead_letters',
      'console_reviews',
      'console_review_queue',
      'console_model_hours',
      'console_agreement_hours',
      'batch_scores',
      'experiment_results',
      'experiment_decisions',
      'audit_log',
      'recsys_interactions',
      'recsys_requests',
      'recsys_scores',
      'recsys_recommendations',
      'recsys_labels',
      'recsys_recommendation_quality',
      'recsys_quality_daily',
      'recsys_enriched_requests',
    ]);
    const altered = migrations.flatMap((m) => m.statements.filter((s) => s.startsWith('ALTER')));
    expect(altered).toEqual([
      'ALTER TABLE labels ADD COLUMN transaction_time_ms Nullable(UInt64)',
      'ALTER TABLE transactions_enriched ADD COLUMN event_time_ms Nullable(UInt64)',
      "ALTER TABLE audit_log ADD COLUMN id String DEFAULT ''",
    ]);
  });
});

describe('alreadyApplied', () => {
  const exists = new Error('Cannot add column x: column with this name already exists');
  it('takes an ADD COLUMN of an existing column as done, nothing else', () => {
    expect(alreadyApplied('ALTER TABLE labels ADD COLUMN x UInt8', exists)).toBe(true);
    expect(alreadyApplied('ALTER TABLE labels ADD COLUMN x UInt8', new Error('Table labels does not exist'))).toBe(
      false,
    );
    expect(alreadyApplied('CREATE TABLE labels (x UInt8) ENGINE = Memory', exists)).toBe(false);
  });
});
