import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { clickhouseVars, consumerTuning, kafkaSecurity, kafkaSecurityOf, kafkaVars, redisVars } from './common.js';
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

describe('the security variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'security-vars-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const notPem = join(dir, 'notes.txt');
  writeFileSync(notPem, 'hello');
  const kafka = (vars: Record<string, string>) => parseEnv(kafkaVars, { KAFKA_BROKERS: '127.0.0.1:9092', ...vars });
  const failure = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('default to plaintext without credentials, SASL_SSL with them', () => {
    expect(kafkaSecurity(kafka({}))).toEqual({});
    expect(kafkaSecurity(kafka({ KAFKA_SASL_USERNAME: 'sink', KAFKA_SASL_PASSWORD: 'pw', KAFKA_TLS_CA: ca }))).toEqual({
      ssl: { ca: [readFileSync(ca, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: 'sink', password: 'pw' },
    });
    // TLS with the system's CAs when none is named.
    expect(kafkaSecurity(kafka({ KAFKA_SECURITY_PROTOCOL: 'SSL' }))).toEqual({ ssl: true });
  });

  it('refuse an unknown protocol and a CA file that is not a certificate, naming them', () => {
    const error = failure(() => kafka({ KAFKA_SECURITY_PROTOCOL: 'TLS', KAFKA_TLS_CA: notPem }));
    expect(error.variables.sort()).toEqual(['KAFKA_SECURITY_PROTOCOL', 'KAFKA_TLS_CA']);
    expect(error.message).toContain(`KAFKA_TLS_CA must be a readable PEM certificate file (got '${notPem}')`);
    expect(failure(() => kafka({ KAFKA_TLS_CA: join(dir, 'missing.pem') })).variables).toEqual(['KAFKA_TLS_CA']);
  });

  it('refuse SASL without a password, and credentials that would not be sent', () => {
    const noPassword = failure(() => kafkaSecurity(kafka({ KAFKA_SASL_USERNAME: 'sink' })));
    expect(noPassword.variables).toEqual(['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']);
    const dropped = failure(() =>
      kafkaSecurity(
        kafka({ KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }),
      ),
    );
    expect(dropped.variables).toEqual(['KAFKA_SECURITY_PROTOCOL']);
    expect(failure(() => kafkaSecurity(kafka({ KAFKA_TLS_CA: ca }))).variables).toEqual(['KAFKA_TLS_CA']);
  });

  it('parse the same way from a server list (kafkaSecurityOf)', () => {
    expect(
      kafkaSecurityOf({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' }),
    ).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'a', password: 'b' },
    });
    expect(failure(() => kafkaSecurityOf({ KAFKA_SASL_MECHANISM: 'gssapi' })).variables).toEqual([
      'KAFKA_SASL_MECHANISM',
    ]);
  });

  it('check the Redis and ClickHouse CAs at start', () => {
    const redis = parseEnv(redisVars, { REDIS_URL: 'rediss://features:pw@127.0.0.1:6379', REDIS_TLS_CA: ca });
    expect(redis.REDIS_TLS_CA).toBe(ca);
    expect(
      failure(() => parseEnv(redisVars, { REDIS_URL: 'rediss://127.0.0.1:6379', REDIS_TLS_CA: notPem })).variables,
    ).toEqual(['REDIS_TLS_CA']);
    expect(
      failure(() =>
        parseEnv(clickhouseVars, { CLICKHOUSE_URL: 'https://sink:pw@127.0.0.1:8443', CLICKHOUSE_TLS_CA: dir }),
      ).variables,
    ).toEqual(['CLICKHOUSE_TLS_CA']);
  });
});
