import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { type ConsumerTuning, DEFAULT_FETCH, DEFAULT_SESSION } from '../consumer/batch-consumer.js';
import { ConfigError } from '../errors.js';
import { httpAuthTokens } from '../http/auth.js';
import { createKafka, KAFKA_SECURITY_PROTOCOLS, type KafkaSecurity } from '../kafka/client.js';
import type { Logger } from '../logging/logger.js';
import { env, parseEnv } from './env.js';

/**
 * The variables every service reads, under the same names in tests, the demo, docker-compose and docs.
 * A service spreads the groups it needs into its own shape and parses once in main.ts.
 */
export const serviceVars = {
  SERVICE_NAME: env.string(),
  LOG_LEVEL: env.logLevel().default('info'),
  /** Health, readiness and Prometheus metrics; 0 picks a free port. */
  HTTP_PORT: env.port().default(0),
  /**
   * Who may call this service's HTTP endpoints: `name:role[+role]:sha256hex` entries, comma-separated,
   * the hash being the SHA-256 (hex) of the principal's bearer token. Required: only liveness is open.
   */
  HTTP_AUTH_TOKENS: httpAuthTokens(),
};

/**
 * How a client reaches the brokers (see kafkaSecurity): TLS trusting KAFKA_TLS_CA (or the system's CAs),
 * SASL/SCRAM with the service's own principal. Unset protocol: SASL_SSL when a user is set, else PLAINTEXT.
 */
export const kafkaSecurityVars = {
  KAFKA_SECURITY_PROTOCOL: z.enum(KAFKA_SECURITY_PROTOCOLS).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).default('scram-sha-512'),
  KAFKA_SASL_USERNAME: env.string().optional(),
  KAFKA_SASL_PASSWORD: env.string().optional(),
  KAFKA_TLS_CA: env.pemFile().optional(),
};

export const kafkaVars = {
  KAFKA_BROKERS: env.brokers(),
  ...kafkaSecurityVars,
  /**
   * Durable batches' offsets are committed together this often (and on rebalance and stop), not a
   * request per fetch; a crash redelivers up to this much more, which idempotent handling absorbs.
   * 0: each fetch's batches are committed before the next fetch.
   */
  KAFKA_COMMIT_INTERVAL: env.duration().default(500),
  /** The longest a fetch waits on the broker for KAFKA_FETCH_MIN_BYTES: what light traffic pays for batches. */
  KAFKA_FETCH_MAX_WAIT: env.duration().default(DEFAULT_FETCH.maxWaitMs),
  KAFKA_FETCH_MIN_BYTES: env.positiveInt().default(DEFAULT_FETCH.minBytes),
  /**
   * A member silent this long leaves the group and its partitions move: how long a killed instance's
   * partitions stay unread. The broker refuses values under its group.min.session.timeout.ms (6s).
   */
  KAFKA_SESSION_TIMEOUT: env
    .duration()
    .refine((ms) => ms >= 6_000, { message: 'must be at least 6s (the broker refuses shorter sessions)' })
    .default(DEFAULT_SESSION.timeoutMs),
  /** How often a member heartbeats; under a third of the session timeout. */
  KAFKA_HEARTBEAT_INTERVAL: env.duration().default(DEFAULT_SESSION.heartbeatMs),
};

/**
 * For a service whose input topics another service of the pipeline produces: that producer already
 * sends a batch per fetch cycle, so a fetch answers as soon as data is there (batches follow the
 * upstream's) instead of adding a wait at every hop. The wait then costs no latency, and a long one
 * spares an idle consumer a hundred empty fetches a second.
 */
export const downstreamKafkaVars = {
  ...kafkaVars,
  KAFKA_FETCH_MIN_BYTES: env.positiveInt().default(1),
  KAFKA_FETCH_MAX_WAIT: env.duration().default(500),
};

/** The consumer loop's tuning from the parsed Kafka variables, for `createBatchConsumer`. */
export function consumerTuning(config: {
  KAFKA_COMMIT_INTERVAL: number;
  KAFKA_FETCH_MAX_WAIT: number;
  KAFKA_FETCH_MIN_BYTES: number;
  KAFKA_SESSION_TIMEOUT: number;
  KAFKA_HEARTBEAT_INTERVAL: number;
}): ConsumerTuning {
  if (config.KAFKA_HEARTBEAT_INTERVAL * 3 > config.KAFKA_SESSION_TIMEOUT) {
    throw new ConfigError(
      ['KAFKA_HEARTBEAT_INTERVAL', 'KAFKA_SESSION_TIMEOUT'],
      `invalid configuration: KAFKA_HEARTBEAT_INTERVAL (${config.KAFKA_HEARTBEAT_INTERVAL} ms) must be at most a third of KAFKA_SESSION_TIMEOUT (${config.KAFKA_SESSION_TIMEOUT} ms)`,
    );
  }
  return {
    commitIntervalMs: config.KAFKA_COMMIT_INTERVAL,
    fetch: { maxWaitMs: config.KAFKA_FETCH_MAX_WAIT, minBytes: config.KAFKA_FETCH_MIN_BYTES },
    session: { timeoutMs: config.KAFKA_SESSION_TIMEOUT, heartbeatMs: config.KAFKA_HEARTBEAT_INTERVAL },
  };
}

/** The parsed kafkaSecurityVars. */
export type KafkaSecurityConfig = {
  [K in keyof typeof kafkaSecurityVars]: z.infer<(typeof kafkaSecurityVars)[K]>;
};

/** A service's Kafka client from its parsed variables: SERVICE_NAME as client id, the security variables applied. */
export function serviceKafka(
  config: { KAFKA_BROKERS: string[]; SERVICE_NAME: string } & Partial<KafkaSecurityConfig>,
  logger?: Logger,
): Kafka {
  return createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.SERVICE_NAME,
    ...(logger ? { logger } : {}),
    security: kafkaSecurity(config),
  });
}

/**
 * The kafkajs `ssl` and `sasl` options of the parsed security variables. A SASL protocol without a
 * user or password, or credentials with a protocol that would not send them, is a ConfigError
 * naming the variables: credentials are never silently dropped.
 */
export function kafkaSecurity(config: Partial<KafkaSecurityConfig>): KafkaSecurity {
  const user = config.KAFKA_SASL_USERNAME;
  const password = config.KAFKA_SASL_PASSWORD;
  const protocol = config.KAFKA_SECURITY_PROTOCOL ?? (user ? 'SASL_SSL' : 'PLAINTEXT');
  const sasl = protocol.startsWith('SASL_');
  if (sasl && (!user || !password)) {
    throw new ConfigError(
      ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'],
      `invalid configuration: KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
  }
  if (!sasl && (user || password)) {
    throw new ConfigError(
      ['KAFKA_SECURITY_PROTOCOL'],
      `invalid configuration: KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SECURITY_PROTOCOL=${protocol} sends no credentials: use SASL_SSL`,
    );
  }
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  if (!tls && config.KAFKA_TLS_CA) {
    throw new ConfigError(
      ['KAFKA_TLS_CA'],
      `invalid configuration: KAFKA_TLS_CA is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS`,
    );
  }
  return {
    ...(tls ? { ssl: config.KAFKA_TLS_CA ? { ca: [readFileSync(config.KAFKA_TLS_CA, 'utf8')] } : true } : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: config.KAFKA_SASL_MECHANISM ?? 'scram-sha-512',
            username: user as string,
            password: password as string,
          },
        }
      : {}),
  } as KafkaSecurity;
}

/**
 * `kafkaSecurity` of unparsed variables (a ServerEnv, a test's servers): parsed here, so a bad value
 * is the same ConfigError naming the variable as at a service's start.
 */
export function kafkaSecurityOf(vars: Record<string, string | undefined>): KafkaSecurity {
  const picked = Object.fromEntries(Object.keys(kafkaSecurityVars).map((name) => [name, vars[name]]));
  return kafkaSecurity(parseEnv(kafkaSecurityVars, picked));
}

export const schemaRegistryVars = {
  SCHEMA_REGISTRY_URL: env.url(['http', 'https']),
};

export const redisVars = {
  /** The Redis server; with REDIS_CLUSTER=true, any node of the cluster (the client finds the others). */
  REDIS_URL: env.url(['redis', 'rediss']),
  /** CA that signed the server's certificate, for `rediss:` URLs; unset: the system's CAs. */
  REDIS_TLS_CA: env.pemFile().optional(),
  /** `true`: REDIS_URL is a Redis Cluster node. Checked against the server at start (connectRedis). */
  REDIS_CLUSTER: env.flag().default(false),
};

export const clickhouseVars = {
  /** `https://user:password@host:port`: the user is the service's role (docs/security.md). */
  CLICKHOUSE_URL: env.url(['http', 'https']),
  /** CA that signed the server's certificate, for `https:` URLs; unset: the system's CAs. */
  CLICKHOUSE_TLS_CA: env.pemFile().optional(),
  CLICKHOUSE_DATABASE: env.string().default('default'),
};
