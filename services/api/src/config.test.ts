import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';

const base = {
  SERVICE_NAME: 'api',
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

function failing(env: Record<string, string>): ConfigError {
  try {
    parseConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('api config', () => {
  it('has defaults for everything but the servers and the service name', () => {
    expect(parseConfig(base)).toMatchObject({
      API_PORT: 8080,
      API_DEADLINE_DEFAULT: 100,
      API_DEADLINE_MIN: 10,
      API_DEADLINE_MAX: 2000,
      API_REDIS_PREFIX: 'api:',
      API_TRANSACTIONS_TOPIC: 'transactions',
      API_DECISIONS_TOPIC: 'decisions',
      API_DEAD_LETTER_TOPIC: 'dead-letters',
      API_STRANDED_HOLD: 300_000,
      DECISION_REDIS_PREFIX: 'decision:',
    });
  });

  it('names a bad variable', () => {
    expect(failing({ API_DEADLINE_DEFAULT: 'fast' }).variables).toEqual(['API_DEADLINE_DEFAULT']);
    expect(failing({ API_MAX_BODY_BYTES: '-1' }).variables).toEqual(['API_MAX_BODY_BYTES']);
    expect(failing({ API_STRANDED_HOLD: 'a while' }).variables).toEqual(['API_STRANDED_HOLD']);
  });

  it('refuses a default deadline outside its bounds', () => {
    const error = failing({ API_DEADLINE_DEFAULT: '5s' });
    expect(error.variables).toEqual(['API_DEADLINE_DEFAULT']);
    expect(error.message).toMatch(/API_DEADLINE_MAX/);
  });
});
