import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseServiceList } from './config.js';

const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  CLICKHOUSE_URL: 'http://127.0.0.1:8123',
  PII_TOKEN_KEYS: `k1:${'c'.repeat(32)}`,
};

describe('console configuration', () => {
  it('has defaults for everything but the servers', () => {
    const c = parseConfig(base);
    expect(c.SERVICE_NAME).toBe('console');
    expect(c.CONSOLE_PORT).toBe(8080);
    expect(c.CONSOLE_SERVICES).toEqual([]);
    expect(c.CONSOLE_GROUPS).toContain('decision.scores');
    expect(c.CONSOLE_GROUPS).toContain('decision.recsys.scores');
    expect(c.CONSOLE_DECISIONS_TOPIC).toBe('decisions');
    expect(c.CONSOLE_LIVE_WINDOW).toBe(300_000);
  });

  it('reads the watched services as name=url pairs', () => {
    const c = parseConfig({
      ...base,
      CONSOLE_SERVICES: 'features=http://127.0.0.1:9464/, decision=http://10.0.0.2:9465',
      CONSOLE_SERVICES_TOKEN: 'read-token',
      CONSOLE_GROUPS: 'run-features, run-sink',
    });
    expect(c.CONSOLE_SERVICES).toEqual([
      { name: 'features', url: 'http://127.0.0.1:9464' },
      { name: 'decision', url: 'http://10.0.0.2:9465' },
    ]);
    expect(c.CONSOLE_GROUPS).toEqual(['run-features', 'run-sink']);
    expect(c.CONSOLE_SERVICES_TOKEN).toBe('read-token');
  });

  it('needs CONSOLE_SERVICES_TOKEN once it watches a service: their endpoints answer only a token', () => {
    let error: unknown;
    try {
      parseConfig({ ...base, CONSOLE_SERVICES: 'features=http://127.0.0.1:9464' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['CONSOLE_SERVICES_TOKEN']);
    expect((error as Error).message).toContain('CONSOLE_SERVICES_TOKEN is not set');
  });

  it('refuses a bad HTTP_AUTH_TOKENS naming it, and reads the session settings', () => {
    expect(() => parseConfig({ ...base, HTTP_AUTH_TOKENS: 'ops:read' })).toThrow(/HTTP_AUTH_TOKENS entry 1/);
    const c = parseConfig({ ...base, CONSOLE_SESSION_TTL: '1h', CONSOLE_SECURE_COOKIE: 'true' });
    expect([c.CONSOLE_SESSION_TTL, c.CONSOLE_SECURE_COOKIE]).toEqual([3_600_000, true]);
    expect(parseConfig(base).CONSOLE_SESSION_TTL).toBe(12 * 3_600_000);
  });

  it.each([
    ['features:9464', 'is not name=url'],
    ['features=localhost', 'is not a URL'],
    ['features=ftp://x', 'not an http or https URL'],
    ['a=http://x,a=http://y', 'named twice'],
  ])('refuses CONSOLE_SERVICES=%s naming the variable', (value, reason) => {
    expect(typeof parseServiceList(value)).toBe('string');
    let error: unknown;
    try {
      parseConfig({ ...base, CONSOLE_SERVICES: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('CONSOLE_SERVICES');
    expect((error as Error).message).toContain(reason);
  });

  it('refuses a bad port, window or missing server naming each', () => {
    expect(() => parseConfig({ ...base, CONSOLE_PORT: 'x' })).toThrow(/CONSOLE_PORT/);
    expect(() => parseConfig({ ...base, CONSOLE_LIVE_WINDOW: '2h' })).toThrow(/CONSOLE_LIVE_WINDOW/);
    expect(() => parseConfig({ ...base, CONSOLE_ROLLUP_INTERVAL: '500ms' })).toThrow(/CONSOLE_ROLLUP_INTERVAL/);
    expect(() => parseConfig({ ...base, CONSOLE_RETENTION_DAYS: '0' })).toThrow(/CONSOLE_RETENTION_DAYS/);
    expect(() => parseConfig({ ...base, CONSOLE_RETENTION_INTERVAL: 'soon' })).toThrow(/CONSOLE_RETENTION_INTERVAL/);
    expect(() => parseConfig({ ...base, CLICKHOUSE_URL: undefined })).toThrow(/CLICKHOUSE_URL is not set/);
  });

  it('needs the PII key ring to search customers by raw id, and names it when bad', () => {
    expect(parseConfig(base).tokenizer.keyIds).toEqual(['k1']);
    expect(() => parseConfig({ ...base, PII_TOKEN_KEYS: undefined })).toThrow(/PII_TOKEN_KEYS is not set/);
    expect(() => parseConfig({ ...base, PII_TOKEN_KEYS: 'k1:short', CONSOLE_PORT: 'x' })).toThrow(
      /CONSOLE_PORT[\s\S]*PII_TOKEN_KEYS key k1/,
    );
  });

  it("reads the scorer's registry choice: MLflow needs its tracking URI", () => {
    expect(parseConfig(base).MODEL_REGISTRY).toBe('file');
    expect(() => parseConfig({ ...base, MODEL_REGISTRY: 'git' })).toThrow(/MODEL_REGISTRY must be one of file, mlflow/);
    expect(() => parseConfig({ ...base, MODEL_REGISTRY: 'mlflow' })).toThrow(/MLFLOW_TRACKING_URI is not set/);
    const mlflow = parseConfig({ ...base, MODEL_REGISTRY: 'mlflow', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' });
    expect(mlflow.MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
  });
});
