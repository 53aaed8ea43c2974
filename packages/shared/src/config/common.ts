import { type ConsumerTuning, DEFAULT_FETCH } from '../consumer/batch-consumer.js';
import { env } from './env.js';

/**
 * The variables every service reads, under the same names in tests, the demo, docker-compose and docs.
 * A service spreads the groups it needs into its own shape and parses once in main.ts.
 */
export const serviceVars = {
  SERVICE_NAME: env.string(),
  LOG_LEVEL: env.logLevel().default('info'),
  /** Health, readiness and Prometheus metrics; 0 picks a free port. */
  HTTP_PORT: env.port().default(0),
};

export const kafkaVars = {
  KAFKA_BROKERS: env.brokers(),
  /**
   * Durable batches' offsets are committed together this often (and on rebalance and stop), not a
   * request per fetch; a crash redelivers up to this much more, which idempotent handling absorbs.
   * 0: each fetch's batches are committed before the next fetch.
   */
  KAFKA_COMMIT_INTERVAL: env.duration().default(100),
  /** The longest a fetch waits on the broker for KAFKA_FETCH_MIN_BYTES: what light traffic pays for batches. */
  KAFKA_FETCH_MAX_WAIT: env.duration().default(DEFAULT_FETCH.maxWaitMs),
  KAFKA_FETCH_MIN_BYTES: env.positiveInt().default(DEFAULT_FETCH.minBytes),
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
}): ConsumerTuning {
  return {
    commitIntervalMs: config.KAFKA_COMMIT_INTERVAL,
    fetch: { maxWaitMs: config.KAFKA_FETCH_MAX_WAIT, minBytes: config.KAFKA_FETCH_MIN_BYTES },
  };
}

export const schemaRegistryVars = {
  SCHEMA_REGISTRY_URL: env.url(['http', 'https']),
};

export const redisVars = {
  REDIS_URL: env.url(['redis', 'rediss']),
};

export const clickhouseVars = {
  CLICKHOUSE_URL: env.url(['http', 'https']),
  CLICKHOUSE_DATABASE: env.string().default('default'),
};
