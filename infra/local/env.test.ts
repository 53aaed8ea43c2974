import { describe, expect, it } from 'vitest';
import { localEnv, serversFromEnv, setEnv } from './env.js';

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
    expect(serversFromEnv({ MLFLOW_TRACKING_URI: 'http://m:5000' })).toBeUndefined();
    expect(() => serversFromEnv({ KAFKA_BROKERS: 'k:9092' })).toThrow(/set all four/);
  });
});
