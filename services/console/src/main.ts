import {
  createAvroSerde,
  createClickHouse,
  createHttpAuth,
  createLogger,
  createRegistryClient,
  createShutdown,
  runMain,
  serviceKafka,
  startHealthServer,
  startTelemetry,
} from '@pipeline/shared';
import { parseConfig } from './config.js';
import { startConsole } from './console.js';

await runMain('console', async () => {
  const config = parseConfig();
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());

  // Page queries are few and small: bounded to two ClickHouse threads beside the pipeline's work.
  const clickhouse = createClickHouse(config, config.CLICKHOUSE_DATABASE, { maxThreads: 2 });
  shutdown.onShutdown('clickhouse', () => clickhouse.close());

  const console = await startConsole({
    config,
    kafka: serviceKafka(config, logger),
    serde: createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL)),
    clickhouse,
    logger,
  });
  shutdown.onShutdown('console', () => console.stop());

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    metrics: telemetry.metricsHandler,
  });
  health.setReady(true);
  shutdown.onShutdown('health', () => health.close());
  logger.info(
    {
      port: health.port,
      url: `http://${config.CONSOLE_HOST}:${console.port}/`,
      services: config.CONSOLE_SERVICES.length,
    },
    'console running',
  );
});
