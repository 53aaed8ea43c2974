import { auditedRegistry, fileRegistry } from '@pipeline/scorer';
import {
  auditSink,
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
import { createExperimentJob } from './job.js';
import { createDecisionPublisher } from './publisher.js';

await runMain('experiments', async () => {
  const config = loadConfig();
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());

  // Background analytics beside a latency-bound pipeline: one ClickHouse thread.
  const clickhouse = await serviceClickHouse({ config, logger, shutdown, maxThreads: 1 });

  const kafka = serviceKafka(config, logger);
  const producer = createProducer(kafka);
  await producer.connect();
  shutdown.onShutdown('producer', () => producer.disconnect());

  const publisher = await createDecisionPublisher({
    producer,
    serde: createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL)),
    topic: config.EXPERIMENTS_DECISIONS_TOPIC,
  });
  const job = createExperimentJob({
    clickhouse,
    publisher,
    // Promotions and rollbacks it applies (mode act) land in audit_log too; dry runs never do.
    registry: auditedRegistry(fileRegistry(config.MODEL_REGISTRY_DIR), auditSink(clickhouse), config.SERVICE_NAME),
    logger,
    settings: config,
  });

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { runs: () => job.healthy },
    metrics: telemetry.metricsHandler,
  });
  shutdown.onShutdown('health', () => health.close());

  job.start();
  shutdown.onShutdown('experiments', () => job.stop());
  health.setReady(true);
  logger.info(
    {
      port: health.port,
      rules: config.EXPERIMENTS_RULES_FILE,
      promotion: config.EXPERIMENTS_PROMOTION,
      rollback: config.EXPERIMENTS_ROLLBACK,
      database: config.CLICKHOUSE_DATABASE,
    },
    'experiments running',
  );
});
