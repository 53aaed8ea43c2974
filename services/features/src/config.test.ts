import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { labelsGroupOf, parseFeaturesEnv } from './config.js';

const base = {
  SERVICE_NAME: 'features',
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('parseFeaturesEnv', () => {
  it('applies defaults', () => {
    const c = parseFeaturesEnv(base);
    expect(c.FEATURES_ALLOWED_LATENESS).toBe(300_000);
    expect(c.FEATURES_ENRICHED_TOPIC).toBe('transactions.enriched');
    expect(c.FEATURES_KEY_PREFIX).toBe('f:');
    expect(c.FEATURES_LABELS_MAX_WAIT).toBe(60_000);
    expect(c.FEATURES_ALIGN_MAX_WAIT).toBe(1000);
    expect(c.FEATURES_ALIGN_CONFIRM).toBe(true);
    expect(c.FEATURES_PROBE_RETENTION).toBe(3_600_000);
    expect(parseFeaturesEnv({ ...base, FEATURES_PROBE_RETENTION: '10m' }).FEATURES_PROBE_RETENTION).toBe(600_000);
    expect(parseFeaturesEnv({ ...base, FEATURES_ALIGN_CONFIRM: 'false' }).FEATURES_ALIGN_CONFIRM).toBe(false);
    expect(labelsGroupOf(c.FEATURES_GROUP_ID)).toBe('features.labels');
    expect(c.FEATURES_USE_CASES).toEqual(['fraud']);
    expect(c.FEATURES_ENRICHED_REQUESTS_TOPIC).toBe('recsys.enriched-requests');
    expect(parseFeaturesEnv({ ...base, FEATURES_USE_CASES: 'recsys, fraud' }).FEATURES_USE_CASES).toEqual([
      'recsys',
      'fraud',
    ]);
  });

  it('names each bad variable', () => {
    try {
      parseFeaturesEnv({
        ...base,
        REDIS_URL: undefined,
        FEATURES_ALLOWED_LATENESS: 'soon',
        FEATURES_KEY_PREFIX: 'a{b',
        FEATURES_LABELS_MAX_WAIT: '-1s',
        FEATURES_ALIGN_CONFIRM: 'yes',
        FEATURES_USE_CASES: 'fraud,ads',
        FEATURES_MAX_CANDIDATES: '0',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variables.sort()).toEqual([
        'FEATURES_ALIGN_CONFIRM',
        'FEATURES_ALLOWED_LATENESS',
        'FEATURES_KEY_PREFIX',
        'FEATURES_LABELS_MAX_WAIT',
        'FEATURES_MAX_CANDIDATES',
        'FEATURES_USE_CASES',
        'REDIS_URL',
      ]);
    }
  });

  it('refuses a probe retention under a second or not a duration, naming it', () => {
    for (const value of ['500ms', '0', 'an hour']) {
      try {
        parseFeaturesEnv({ ...base, FEATURES_PROBE_RETENTION: value });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).variables).toEqual(['FEATURES_PROBE_RETENTION']);
      }
    }
  });

  it('takes the key ring when given, and names it when bad without quoting it', () => {
    expect(parseFeaturesEnv(base).tokenizer).toBeUndefined();
    const ring = `k1:${'s'.repeat(32)}`;
    expect(parseFeaturesEnv({ ...base, PII_TOKEN_KEYS: ring }).tokenizer?.currentKeyId).toBe('k1');
    try {
      parseFeaturesEnv({ ...base, FEATURES_ALIGN_CONFIRM: 'yes', PII_TOKEN_KEYS: 'k1:short-secret' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variables.sort()).toEqual(['FEATURES_ALIGN_CONFIRM', 'PII_TOKEN_KEYS']);
      expect((error as Error).message).not.toContain('short-secret');
    }
  });
});
