import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  CLICKHOUSE_URL: 'http://127.0.0.1:8123',
  PII_TOKEN_KEYS: `k1:${'x'.repeat(32)}`,
};

describe('sink configuration', () => {
  it('applies the defaults and parses durations', () => {
    const config = loadConfig({ ...base, SINK_FLUSH_INTERVAL: '250ms', CLICKHOUSE_DATABASE: 'analytics' });
    expect(config.SINK_BATCH_SIZE).toBe(2_000);
    expect(config.SINK_FLUSH_INTERVAL).toBe(250);
    expect(config.SINK_RETENTION_DAYS).toBe(400);
    expect(config.CLICKHOUSE_DATABASE).toBe('analytics');
    expect(config.SERVICE_NAME).toBe('sink');
  });

  it('reads dead letters from the topic it writes them to unless told otherwise', () => {
    expect(loadConfig({ ...base, SINK_DEAD_LETTER_TOPIC: 'run1.dl' }).SINK_DEAD_LETTERS_IN_TOPIC).toBe('run1.dl');
    expect(loadConfig(base).SINK_DEAD_LETTERS_IN_TOPIC).toBe('dead-letters');
    expect(
      loadConfig({ ...base, SINK_DEAD_LETTER_TOPIC: 'a', SINK_DEAD_LETTERS_IN_TOPIC: 'b' }).SINK_DEAD_LETTERS_IN_TOPIC,
    ).toBe('b');
  });

  it('stores the fraud topics by default, the recommendation topics with SINK_USE_CASES, under the topology names or their variables', () => {
    const stored = (vars: Record<string, string>) =>
      loadConfig({ ...base, ...vars }).stored.map((s) => `${s.topic}>${s.stream.table}`);
    expect(stored({ SINK_LABELS_TOPIC: 'run1.labels' })).toEqual([
      'transactions.enriched>transactions_enriched',
      'scores>scores',
      'decisions>decisions',
      'run1.labels>labels',
    ]);
    expect(stored({ SINK_USE_CASES: 'recsys' })).toEqual([
      'recsys.interactions>recsys_interactions',
      'recsys.requests>recsys_requests',
      'recsys.enriched-requests>recsys_enriched_requests',
      'recsys.scores>recsys_scores',
      'recsys.recommendations>recsys_recommendations',
      'recsys.labels>recsys_labels',
    ]);
    expect(stored({ SINK_USE_CASES: 'fraud, recsys' })).toHaveLength(10);
    expect(
      stored({
        SINK_USE_CASES: 'recsys',
        SINK_INTERACTIONS_TOPIC: 'run1.recsys.interactions',
        SINK_REQUESTS_TOPIC: 'run1.recsys.requests',
        SINK_RECSYS_ENRICHED_TOPIC: 'run1.recsys.enriched-requests',
        SINK_RECSYS_SCORES_TOPIC: 'run1.recsys.scores',
        SINK_RECOMMENDATIONS_TOPIC: 'run1.recsys.recommendations',
        SINK_RECSYS_LABELS_TOPIC: 'run1.recsys.labels',
      }),
    ).toEqual([
      'run1.recsys.interactions>recsys_interactions',
      'run1.recsys.requests>recsys_requests',
      'run1.recsys.enriched-requests>recsys_enriched_requests',
      'run1.recsys.scores>recsys_scores',
      'run1.recsys.recommendations>recsys_recommendations',
      'run1.recsys.labels>recsys_labels',
    ]);
    expect(() => loadConfig({ ...base, SINK_USE_CASES: 'fraud,ads' })).toThrow(
      "SINK_USE_CASES unknown ads: one of fraud, recsys (got 'fraud,ads')",
    );
  });

  it('stops with one ConfigError naming every bad variable', () => {
    let error: unknown;
    try {
      loadConfig({
        ...base,
        CLICKHOUSE_URL: undefined,
        SINK_BATCH_SIZE: '0',
        SINK_FLUSH_INTERVAL: 'soon',
        PII_TOKEN_KEYS: 'k1:tooshort',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables.sort()).toEqual([
      'CLICKHOUSE_URL',
      'PII_TOKEN_KEYS',
      'SINK_BATCH_SIZE',
      'SINK_FLUSH_INTERVAL',
    ]);
    expect((error as ConfigError).message).toContain("SINK_BATCH_SIZE must be a positive integer (got '0')");
    expect((error as ConfigError).message).toContain('PII_TOKEN_KEYS key k1: secret must be at least 32 characters');
    expect((error as ConfigError).message).not.toContain('tooshort');
  });
});

describe('the PII key ring', () => {
  it('is required: the sink never writes raw identifiers for want of a key', () => {
    expect(() => loadConfig({ ...base, PII_TOKEN_KEYS: undefined })).toThrow(/PII_TOKEN_KEYS is not set/);
  });

  it('gives the tokenizer of its current key', () => {
    expect(loadConfig(base).tokenizer.currentKeyId).toBe('k1');
  });
});
