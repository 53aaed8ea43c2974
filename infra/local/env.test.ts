import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { localEnv, serversFromEnv, setEnv } from './env.js';

// setEnv makes the set's CA and passwords on first use: here in a directory of this test's own.
vi.hoisted(() => {
  process.env.PIPELINE_LOCAL_DIR = `${process.env.TMPDIR ?? '/tmp'}/env-test-${process.pid}-${Date.now()}`;
});

const four = {
  KAFKA_BROKERS: 'k:9092',
  SCHEMA_REGISTRY_URL: 'http://r:8081',
  REDIS_URL: 'redis://r:6379',
  CLICKHOUSE_URL: 'http://c:8123',
};

describe('server addresses', () => {
  it('names MLflow beside the four where it is started, on its port in every set', () => {
    expect(localEnv().MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(setEnv({ name: 'chaos', portOffset: 1000 }, { mlflow: true }).MLFLOW_TRACKING_URI).toBe(
      'http://127.0.0.1:6000',
    );
    // Runs that do not start MLflow (demo, bench, chaos) do not name it.
    expect(setEnv({ name: 'chaos', portOffset: 1000 }).MLFLOW_TRACKING_URI).toBeUndefined();
  });

  it('takes MLFLOW_TRACKING_URI along when set, and does not require it', () => {
    expect(serversFromEnv({ ...four, MLFLOW_TRACKING_URI: 'http://m:5000' })).toEqual({
      ...four,
      MLFLOW_TRACKING_URI: 'http://m:5000',
    });
    expect(serversFromEnv(four)).toEqual(four);
    expect(serversFromEnv({ ...four, REDIS_TLS_CA: '/ca.pem', KAFKA_SASL_USERNAME: 'admin' })).toEqual({
      ...four,
      REDIS_TLS_CA: '/ca.pem',
      KAFKA_SASL_USERNAME: 'admin',
    });
    expect(serversFromEnv({ MLFLOW_TRACKING_URI: 'http://m:5000' })).toBeUndefined();
    expect(() => serversFromEnv({ KAFKA_BROKERS: 'k:9092' })).toThrow(/set all four/);
  });

  it('names the secure endpoints with the admin credentials and the set CA', () => {
    const env = setEnv({ name: 'chaos', portOffset: 1000 });
    const credentials = JSON.parse(readFileSync(env.PIPELINE_CREDENTIALS as string, 'utf8'));
    expect(env.REDIS_URL).toBe(`rediss://admin:${credentials.redis.admin}@127.0.0.1:7379`);
    expect(env.CLICKHOUSE_URL).toBe(`https://admin:${credentials.clickhouse.admin}@127.0.0.1:9443`);
    expect(env).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:10092',
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'admin',
      KAFKA_SASL_PASSWORD: credentials.kafka.admin,
    });
    expect(readFileSync(env.KAFKA_TLS_CA as string, 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(env.REDIS_TLS_CA).toBe(env.KAFKA_TLS_CA);
    expect(env.PIPELINE_CREDENTIALS).toContain('/sets/chaos/security/');
  });
});
