import { fraudTopics, pipelineTopics, recsysTopics } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { loadEraseConfig, parseEraseArgs } from './config.js';
import { countSql, deleteSql, erasureTargets, idsSql, kafkaRemainder, withEngines } from './plan.js';

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
    { table: 'recsys_interactions', name: 'event_id' },
    { table: 'recsys_interactions', name: 'user_id' },
    { table: 'recsys_requests', name: 'request_id' },
    { table: 'recsys_requests', name: 'user_id' },
    { table: 'recsys_labels', name: 'interaction_id' },
    { table: 'recsys_labels', name: 'user_id' },
    { table: 'recsys_enriched_requests', name: 'request_id' },
    { table: 'recsys_enriched_requests', name: 'user_id' },
    { table: 'recsys_quality_daily', name: 'model_name' },
  ],
  [
    { name: 'decisions', engine: 'ReplacingMergeTree' },
    { name: 'labels', engine: 'ReplacingMergeTree' },
    { name: 'dead_letters', engine: 'ReplacingMergeTree' },
    { name: 'batch_scores', engine: 'ReplacingMergeTree' },
    { name: 'monitor_runs', engine: 'ReplacingMergeTree' },
    { name: 'labels_latest', engine: 'View' },
    { name: 'audit_log', engine: 'MergeTree' },
    { name: 'recsys_interactions', engine: 'ReplacingMergeTree' },
    { name: 'recsys_requests', engine: 'ReplacingMergeTree' },
    { name: 'recsys_labels', engine: 'ReplacingMergeTree' },
    { name: 'recsys_enriched_requests', engine: 'ReplacingMergeTree' },
    { name: 'recsys_quality_daily', engine: 'View' },
  ],
);

describe('what erasure touches, from the columns ClickHouse reports', () => {
  it('erases tables holding the token by it, and tables holding only event ids by the customer’s events', () => {
    // recsys_interactions holds event ids too, but names its user: never erased by a customer's events.
    expect(erasureTargets(columns)).toEqual({
      bySubject: [
        { table: 'decisions', column: 'customer_id' },
        { table: 'labels', column: 'customer_id' },
        { table: 'dead_letters', column: 'original_key' },
      ],
      byEvent: [{ table: 'batch_scores', column: 'event_id' }],
      eventSources: [
        { table: 'decisions', column: 'event_id' },
        { table: 'labels', column: 'transaction_id' },
      ],
      requestSources: [],
    });
  });

  it('erases a recommendation user from every table holding user_id, and its dead letters, never by event ids', () => {
    expect(erasureTargets(columns, 'user')).toEqual({
      bySubject: [
        { table: 'dead_letters', column: 'original_key' },
        { table: 'recsys_interactions', column: 'user_id' },
        { table: 'recsys_requests', column: 'user_id' },
        { table: 'recsys_labels', column: 'user_id' },
        { table: 'recsys_enriched_requests', column: 'user_id' },
      ],
      byEvent: [],
      eventSources: [],
      // Where the user's request ids are read, for the feature service's per-request lookups.
      requestSources: [
        { table: 'recsys_requests', column: 'request_id' },
        { table: 'recsys_enriched_requests', column: 'request_id' },
      ],
    });
  });

  it.each(['customer', 'user'] as const)('never touches views or the append-only audit trail (%s)', (subject) => {
    const tables = Object.values(erasureTargets(columns, subject))
      .flat()
      .map((t) => t.table);
    expect(tables).not.toContain('labels_latest');
    expect(tables).not.toContain('recsys_quality_daily');
    expect(tables).not.toContain('audit_log');
  });

  it("reads the subject's ids by its own column", () => {
    expect(idsSql({ table: 'recsys_requests', column: 'request_id' }, 'user_id', ['tok_k1_u'])).toBe(
      "SELECT DISTINCT request_id AS id FROM recsys_requests WHERE user_id IN ('tok_k1_u')",
    );
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

  it("says the same of a user: every recommendation topic, and the dead letters, none of the customer's", () => {
    const topics = [...Object.values(fraudTopics), ...Object.values(recsysTopics), ...Object.values(pipelineTopics)];
    const lines = kafkaRemainder(topics, 'user');
    expect(lines.filter((l) => l.startsWith('recsys.'))).toHaveLength(Object.values(recsysTopics).length);
    expect(lines.some((l) => l.startsWith('dead-letters:') && l.includes("the user's dead-lettered"))).toBe(true);
    expect(lines).toHaveLength(Object.values(recsysTopics).length + 1);
    expect(lines.join('\n')).not.toContain('transactions:');
  });
});

describe('npm run erase arguments', () => {
  it('takes the customer, who and why', () => {
    expect(parseEraseArgs(['--customer', 'C123', '--by', 'Ana', '--why', 'ticket 4711'], 'me')).toEqual({
      subject: 'customer',
      id: 'C123',
      actor: 'Ana',
      reason: 'ticket 4711',
    });
    expect(parseEraseArgs(['--customer', 'C123'], 'me').actor).toBe('me');
  });

  it('takes a recommendation user instead', () => {
    expect(parseEraseArgs(['--user', 'U42', '--why', 'ticket 9'], 'me')).toEqual({
      subject: 'user',
      id: 'U42',
      actor: 'me',
      reason: 'ticket 9',
    });
  });

  it.each([
    [[], /--customer or --user is missing/],
    [['--customer', ''], /--customer is missing/],
    [['--user', ' '], /--user is missing/],
    [['--customer', 'C {1}'], /invalid customer id/],
    [['--user', 'U|1'], /--user: invalid user id/],
    [['--user', 'U1', '--customer', 'C1'], /--customer or --user, not both/],
    [['--user'], /argument missing/],
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
