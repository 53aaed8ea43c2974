import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { defaultRegistryDir, parseConfig } from './config.js';

const required = {
  SERVICE_NAME: 'scorer',
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
};

describe('scorer config', () => {
  it('defaults: batches of 256 or 2 ms, the committed registry, contributions above 0.05', () => {
    const config = parseConfig(required);
    expect(config.SCORER_BATCH_SIZE).toBe(256);
    expect(config.SCORER_BATCH_WAIT).toBe(2);
    expect(config.MODEL_REGISTRY_DIR).toBe(defaultRegistryDir);
    expect(config.SCORER_EXPLAIN_MIN_SCORE).toBe(0.05);
    expect(config.SCORER_EXPLAIN_SHADOWS).toBe(false);
    expect(config.SCORER_THREADS).toBeGreaterThan(0);
  });

  it('parses what is set', () => {
    const config = parseConfig({
      ...required,
      SCORER_THREADS: '3',
      SCORER_BATCH_WAIT: '5ms',
      SCORER_EXPLAIN_MIN_SCORE: '0.5',
      SCORER_EXPLAIN_SHADOWS: 'true',
    });
    expect([config.SCORER_THREADS, config.SCORER_BATCH_WAIT, config.SCORER_EXPLAIN_MIN_SCORE]).toEqual([3, 5, 0.5]);
    expect(config.SCORER_EXPLAIN_SHADOWS).toBe(true);
  });

  it('scores fraud by default; SCORER_USE_CASES lists the use cases, an unknown one stops it named', () => {
    expect(parseConfig(required).SCORER_USE_CASES).toEqual(['fraud']);
    const both = parseConfig({ ...required, SCORER_USE_CASES: 'fraud, recsys,recsys' });
    expect(both.SCORER_USE_CASES).toEqual(['fraud', 'recsys']);
    expect(both.SCORER_ENRICHED_REQUESTS_TOPIC).toBe('recsys.enriched-requests');
    expect(both.SCORER_RECSYS_SCORES_TOPIC).toBe('recsys.scores');
    let error: unknown;
    try {
      parseConfig({ ...required, SCORER_USE_CASES: 'fraud,ads' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['SCORER_USE_CASES']);
    expect((error as ConfigError).message).toContain('unknown use case ads: one of fraud, recsys');
  });

  it('a bad value stops the service with a ConfigError naming the variable', () => {
    for (const [variable, value] of [
      ['SCORER_BATCH_SIZE', '0'],
      ['SCORER_EXPLAIN_MIN_SCORE', '1.5'],
      ['SCORER_EXPLAIN_SHADOWS', 'yes'],
      ['SCORER_BATCH_WAIT', 'soon'],
    ] as const) {
      let error: unknown;
      try {
        parseConfig({ ...required, [variable]: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variables).toEqual([variable]);
      expect((error as ConfigError).message).toContain(variable);
    }
  });
});
