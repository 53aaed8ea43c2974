import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { clickhouseVars, kafkaVars, schemaRegistryVars, serviceVars } from './common.js';
import { env, parseDuration, parseEnv } from './env.js';

const shape = { ...serviceVars, ...kafkaVars, ...schemaRegistryVars, ...clickhouseVars, BATCH_WAIT: env.duration() };
const good = {
  SERVICE_NAME: 'features',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  KAFKA_BROKERS: '127.0.0.1:9092, kafka:29092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  CLICKHOUSE_URL: 'http://127.0.0.1:8123',
  BATCH_WAIT: '5ms',
};

function configError(vars: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(shape, vars);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('parses and converts valid variables, applying defaults', () => {
    const config = parseEnv(shape, good);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', 'kafka:29092']);
    expect(config.HTTP_PORT).toBe(0);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.CLICKHOUSE_DATABASE).toBe('default');
    expect(config.BATCH_WAIT).toBe(5);
  });

  it('names a missing variable', () => {
    const error = configError({ ...good, KAFKA_BROKERS: undefined });
    expect(error.variables).toEqual(['KAFKA_BROKERS']);
    expect(error.message).toContain('KAFKA_BROKERS is not set');
  });

  it('treats an empty variable as missing', () => {
    expect(configError({ ...good, SERVICE_NAME: '  ' }).message).toContain('SERVICE_NAME is not set');
  });

  it('names each malformed variable with what was given', () => {
    const error = configError({
      ...good,
      KAFKA_BROKERS: '127.0.0.1',
      SCHEMA_REGISTRY_URL: 'ftp://x',
      HTTP_PORT: '70000',
      LOG_LEVEL: 'loud',
      BATCH_WAIT: 'soon',
    });
    expect(error.variables.sort()).toEqual([
      'BATCH_WAIT',
      'HTTP_PORT',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
      'SCHEMA_REGISTRY_URL',
    ]);
    expect(error.message).toContain("KAFKA_BROKERS '127.0.0.1' is not host:port (got '127.0.0.1')");
    expect(error.message).toContain("SCHEMA_REGISTRY_URL must be a http or https URL (got 'ftp://x')");
    expect(error.message).toContain("HTTP_PORT must be a port number 0-65535 (got '70000')");
    expect(error.message).toContain("BATCH_WAIT must be a duration like 250ms, 5s, 2m or 1h (got 'soon')");
    expect(error.message).toMatch(/LOG_LEVEL .*\(got 'loud'\)/);
  });
});

describe('env.listOf', () => {
  const listShape = { USE_CASES: env.listOf(['fraud', 'recsys']).default(['fraud']) };
  it('reads a comma-separated list of known names, repeats dropped, the default when unset', () => {
    expect(parseEnv(listShape, { USE_CASES: 'recsys, fraud,recsys' }).USE_CASES).toEqual(['recsys', 'fraud']);
    expect(parseEnv(listShape, {}).USE_CASES).toEqual(['fraud']);
  });
  it('refuses an unknown name, naming the variable and the known ones', () => {
    expect(() => parseEnv(listShape, { USE_CASES: 'fraud,ads' })).toThrow(
      "USE_CASES unknown ads: one of fraud, recsys (got 'fraud,ads')",
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'ms', '-1s', '5 parsecs', '1e3'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});
