import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { defaultRecsysPolicyFile, defaultRulesFile, parseConfig } from './config.js';

const required = {
  SERVICE_NAME: 'decision',
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('decision config', () => {
  it('defaults the budget to 50 ms and the rule file to the shipped one', () => {
    const config = parseConfig(required);
    expect(config.DECISION_SCORE_BUDGET).toBe(50);
    expect(config.DECISION_RULES_FILE).toBe(defaultRulesFile);
    expect(config.DECISION_DEDUP_TTL).toBe(3_600_000);
  });

  it('parses durations', () => {
    expect(parseConfig({ ...required, DECISION_SCORE_BUDGET: '120ms' }).DECISION_SCORE_BUDGET).toBe(120);
    expect(parseConfig({ ...required, DECISION_DEDUP_TTL: '2h' }).DECISION_DEDUP_TTL).toBe(7_200_000);
  });

  it('a bad budget stops the service with a ConfigError naming the variable', () => {
    let error: unknown;
    try {
      parseConfig({ ...required, DECISION_SCORE_BUDGET: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['DECISION_SCORE_BUDGET']);
    expect((error as ConfigError).message).toContain('DECISION_SCORE_BUDGET must be a duration like 250ms');
  });

  it('names a missing Redis URL', () => {
    const { REDIS_URL: _, ...rest } = required;
    expect(() => parseConfig(rest)).toThrow(/REDIS_URL is not set/);
  });
});

describe('DECISION_USE_CASES', () => {
  it('defaults to fraud and takes a comma-separated list, each once', () => {
    expect(parseConfig(required).DECISION_USE_CASES).toEqual(['fraud']);
    expect(parseConfig({ ...required, DECISION_USE_CASES: 'recsys' }).DECISION_USE_CASES).toEqual(['recsys']);
    expect(parseConfig({ ...required, DECISION_USE_CASES: 'fraud, recsys,fraud' }).DECISION_USE_CASES).toEqual([
      'fraud',
      'recsys',
    ]);
    expect(parseConfig(required).DECISION_RECSYS_POLICY_FILE).toBe(defaultRecsysPolicyFile);
  });

  it('an unknown use case stops the service naming the variable', () => {
    expect(() => parseConfig({ ...required, DECISION_USE_CASES: 'fraud,ads' })).toThrow(
      /DECISION_USE_CASES.*unknown use case ads: one of fraud, recsys/,
    );
  });
});
