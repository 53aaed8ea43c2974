import {
  createAvroSerde,
  createHttpAuth,
  createLogger,
  createProducer,
  createRegistryClient,
  createShutdown,
  runMain,
  serviceClickHouse,
  serviceKafka,
  startHealthServer,
  startTelemetry,
} from '@pipeline/shared';
import { loadConfig } from './config.js';
import { createMonitorMetrics } from './metrics.js';
import { createMonitor } from './monitor.js';
import { createAlertPublisher } from './publisher.js';

await runMain('monitor', async () => {
  const config = loadConfig();
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());

  // Its queries are background work beside a latency-bound pipeline: bounded to one ClickHouse thread.
  const clickhouse = await serviceClickHouse({ config, logger, shutdown, maxThreads: 1 });

  const kafka = serviceKafka(config, logger);
  const producer = createProducer(kafka);
  await producer.connect();
  shutdown.onShutdown('producer', () => producer.disconnect());

  const publisher = await createAlertPublisher({
    producer,
    serde: createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL)),
    topics: { alerts: config.MONITOR_ALERTS_TOPIC, retrainingTriggers: config.MONITOR_TRIGGERS_TOPIC },
  });
  const monitor = createMonitor({ clickhouse, publisher, logger, settings: config, metrics: createMonitorMetrics() });

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { runs: () => monitor.healthy },
    metrics: telemetry.metricsHandler,
  });
  shutdown.onShutdown('health', () => health.close());

  monitor.start();
  shutdown.onShutdown('monitor', () => monitor.stop());
  health.setReady(true);
  logger.info(
    { port: health.port, clock: config.MONITOR_CLOCK, checks: config.checks, database: config.CLICKHOUSE_DATABASE },
    'monitor running',
  );
});
