import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { consumerTuning, kafkaVars, redisVars } from './common.js';
import { parseEnv } from './env.js';

const tuning = (vars: Record<string, string>) =>
  consumerTuning(parseEnv(kafkaVars, { KAFKA_BROKERS: '127.0.0.1:9092', ...vars }));

describe('consumer tuning from the Kafka variables', () => {
  it('defaults to a 6 s session, the broker minimum, with a heartbeat every second', () => {
    expect(tuning({}).session).toEqual({ timeoutMs: 6_000, heartbeatMs: 1_000 });
    expect(tuning({ KAFKA_SESSION_TIMEOUT: '30s', KAFKA_HEARTBEAT_INTERVAL: '3s' }).session).toEqual({
      timeoutMs: 30_000,
      heartbeatMs: 3_000,
    });
  });

  it('refuses a session the broker would refuse, naming the variable', () => {
    expect(() => tuning({ KAFKA_SESSION_TIMEOUT: '2s' })).toThrow(/KAFKA_SESSION_TIMEOUT must be at least 6s/);
  });

  it('refuses a heartbeat above a third of the session, naming both variables', () => {
    let caught: unknown;
    try {
      tuning({ KAFKA_SESSION_TIMEOUT: '6s', KAFKA_HEARTBEAT_INTERVAL: '3s' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variables).toEqual(['KAFKA_HEARTBEAT_INTERVAL', 'KAFKA_SESSION_TIMEOUT']);
    expect((caught as Error).message).toMatch(/at most a third/);
  });
});

describe('the Redis variables', () => {
  const redis = (vars: Record<string, string>) => parseEnv(redisVars, { REDIS_URL: 'redis://127.0.0.1:6379', ...vars });

  it('default to one server; REDIS_CLUSTER=true selects Redis Cluster', () => {
    expect(redis({}).REDIS_CLUSTER).toBe(false);
    expect(redis({ REDIS_CLUSTER: 'true' }).REDIS_CLUSTER).toBe(true);
    expect(redis({ REDIS_CLUSTER: 'false' }).REDIS_CLUSTER).toBe(false);
  });

  it('refuse anything but true or false for REDIS_CLUSTER, naming it', () => {
    let caught: unknown;
    try {
      redis({ REDIS_CLUSTER: 'yes' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variables).toEqual(['REDIS_CLUSTER']);
    expect((caught as Error).message).toContain("REDIS_CLUSTER must be true or false (got 'yes')");
  });
});
