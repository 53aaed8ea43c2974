import {
  consumerTuning,
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
import { createTopicDeadLetters } from '@pipeline/topology';
import { loadRetrainConfig } from './config.js';
import { createTriggerConsumer } from './retrain/trigger-consumer.js';

await runMain('retrain', async () => {
  const config = loadRetrainConfig();
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());

  const clickhouse = await serviceClickHouse({ config, logger, shutdown });

  const kafka = serviceKafka(config, logger);
  const producer = createProducer(kafka);
  await producer.connect();
  shutdown.onShutdown('producer', () => producer.disconnect());
  const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  const deadLetters = await createTopicDeadLetters({
    producer,
    serde,
    topic: config.RETRAIN_DEAD_LETTER_TOPIC,
    service: config.SERVICE_NAME,
  });

  const consumer = createTriggerConsumer({
    kafka,
    serde,
    topic: config.RETRAIN_TRIGGERS_TOPIC,
    groupId: config.RETRAIN_GROUP_ID,
    deadLetters,
    logger,
    retrain: { clickhouse, logger, settings: config },
    onCrash: () => void shutdown.shutdown('consumer crashed', 1),
    tuning: consumerTuning(config),
  });
  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { consuming: () => consumer.consuming },
    metrics: telemetry.metricsHandler,
  });
  shutdown.onShutdown('health', () => health.close());
  await consumer.start();
  shutdown.onShutdown('consumer', () => consumer.stop());
  health.setReady(true);
  logger.info({ port: health.port, registry: config.MODEL_REGISTRY_DIR }, 'retraining job consuming triggers');
});
