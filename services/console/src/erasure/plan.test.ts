import { fraudTopics, pipelineTopics } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { loadEraseConfig, parseEraseArgs } from './config.js';
import { countSql, deleteSql, erasureTargets, kafkaRemainder, withEngines } from './plan.js';

const columns = withEngines(
  [
    { table: 'decisions', name: 'customer_id' },
    { table: 'decisions', name: 'event_id' },
    { table: 'labels', name: 'customer_id' },
    { table: 'labels', name: 'transaction_id' },
    { table: 'dead_letters', name: 'original_key' },
    { table: 'batch_scores', name: 'event_id' },
    { table: 'monitor_runs', name: 'window_end' },
    { table: 'labels_latest', name: 'transaction_id' },
    { table: 'audit_log', name: 'subject' },
  ],
  [
    { name: 'decisions', engine: 'ReplacingMergeTree' },
    { name: 'labels', engine: 'ReplacingMergeTree' },
    { name: 'dead_letters', engine: 'ReplacingMergeTree' },
    { name: 'batch_scores', engine: 'ReplacingMergeTree' },
    { name: 'monitor_runs', engine: 'ReplacingMergeTree' },
    { name: 'labels_latest', engine: 'View' },
    { name: 'audit_log', engine: 'MergeTree' },
  ],
);

describe('what erasure touches, from the columns ClickHouse reports', () => {
  it('erases tables holding the token by it, and tables holding only event ids by the customer’s events', () => {
    expect(erasureTargets(columns)).toEqual({
      byCustomer: [
        { table: 'decisions', column: 'customer_id' },
        { table: 'labels', column: 'customer_id' },
        { table: 'dead_letters', column: 'original_key' },
      ],
      byEvent: [{ table: 'batch_scores', column: 'event_id' }],
      eventSources: [
        { table: 'decisions', column: 'event_id' },
        { table: 'labels', column: 'transaction_id' },
      ],
    });
  });

  it('never touches views or the append-only audit trail', () => {
    const tables = Object.values(erasureTargets(columns))
      .flat()
      .map((t) => t.table);
    expect(tables).not.toContain('labels_latest');
    expect(tables).not.toContain('audit_log');
  });

  it('deletes with a mutation over every token, escaped', () => {
    const target = { table: 'decisions', column: 'customer_id' };
    expect(deleteSql(target, ['tok_k2_a', "it's"])).toBe(
      "ALTER TABLE decisions DELETE WHERE customer_id IN ('tok_k2_a', 'it\\'s')",
    );
    expect(countSql(target, ['tok_k2_a'])).toBe("SELECT count() AS n FROM decisions WHERE customer_id IN ('tok_k2_a')");
  });

  it('says what stays on Kafka: every topic keyed by customer, and the dead letters, with their retention', () => {
    const lines = kafkaRemainder([...Object.values(fraudTopics), ...Object.values(pipelineTopics)]);
    expect(lines).toContain(
      "transactions: the customer's messages stay until retention deletes them (30 days after each was written)",
    );
    expect(lines.some((l) => l.startsWith('dead-letters:'))).toBe(true);
    expect(lines).toHaveLength(Object.values(fraudTopics).length + 1);
  });
});

describe('npm run erase arguments', () => {
  it('takes the customer, who and why', () => {
    expect(parseEraseArgs(['--customer', 'C123', '--by', 'Ana', '--why', 'ticket 4711'], 'me')).toEqual({
      customerId: 'C123',
      actor: 'Ana',
      reason: 'ticket 4711',
    });
    expect(parseEraseArgs(['--customer', 'C123'], 'me').actor).toBe('me');
  });

  it.each([
    [[], /--customer is missing/],
    [['--customer', ''], /--customer is missing/],
    [['--customer', 'C {1}'], /invalid customer id/],
    [['--customer', 'C1', '--oops'], /Unknown option/],
  ])('refuses %j with the reason', (args, reason) => {
    expect(() => parseEraseArgs(args, 'me')).toThrow(reason);
  });
});

describe('npm run erase environment', () => {
  const env = {
    CLICKHOUSE_URL: 'http://127.0.0.1:8123',
    REDIS_URL: 'redis://127.0.0.1:6379',
    PII_TOKEN_KEYS: `k2:${'n'.repeat(32)},k1:${'o'.repeat(32)}`,
  };

  it("takes the whole ring (old rows are erased too) and the services' Redis prefixes, with their defaults", () => {
    const config = loadEraseConfig(env);
    expect(config.tokenizer.keyIds).toEqual(['k2', 'k1']);
    expect(config.FEATURES_KEY_PREFIX).toBe('f:');
    expect(config.DECISION_REDIS_PREFIX).toBe('decision:');
  });

  it('stops naming every bad variable, the key ring included, never quoting a secret', () => {
    expect(() => loadEraseConfig({ ...env, REDIS_URL: undefined, PII_TOKEN_KEYS: undefined })).toThrow(
      /REDIS_URL is not set[\s\S]*PII_TOKEN_KEYS is not set/,
    );
    expect(() => loadEraseConfig({ ...env, PII_TOKEN_KEYS: 'k1:tiny' })).toThrow(
      /PII_TOKEN_KEYS key k1: secret must be/,
    );
  });
});
