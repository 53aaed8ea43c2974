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
  /** 0: commit each batch once durable; above 0: commit durable batches together this often. */
  KAFKA_COMMIT_INTERVAL: env.duration().default(0),
};

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
