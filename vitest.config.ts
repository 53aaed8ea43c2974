import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (plain functions, no servers) and `integration` (the real Kafka, Schema
 * Registry, Redis and ClickHouse, found through KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL and
 * CLICKHOUSE_URL; see test/global-setup.ts).
 */
export default defineConfig({
  test: {
    // The integration teardown deletes the run's topics (test/global-setup.ts); the default 10 s can cut it short.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,services,topology,infra,loadtest,e2e,scripts,test,deploy}/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{packages,services,topology,infra,loadtest,e2e}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One file at a time: the servers are shared, and the machine has two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
