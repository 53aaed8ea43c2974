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
  startRetention,
  startTelemetry,
} from '@pipeline/shared';
import { loadConfig } from './config.js';
import { createSink } from './sink.js';

await runMain('sink', async () => {
  const config = loadConfig();
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());

  const { tokenizer, stored, ...settings } = config;
  const clickhouse = await serviceClickHouse({ config, settings, logger, shutdown });

  const kafka = serviceKafka(config, logger);
  const producer = createProducer(kafka);
  await producer.connect();
  shutdown.onShutdown('producer', () => producer.disconnect());

  const sink = await createSink({
    kafka,
    producer,
    serde: createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL)),
    clickhouse,
    topics: {
      enriched: config.SINK_ENRICHED_TOPIC,
      scores: config.SINK_SCORES_TOPIC,
      decisions: config.SINK_DECISIONS_TOPIC,
      audit: config.SINK_AUDIT_TOPIC,
      deadLetters: config.SINK_DEAD_LETTER_TOPIC,
      deadLettersIn: config.SINK_DEAD_LETTERS_IN_TOPIC,
      transactions: config.SINK_TRANSACTIONS_TOPIC,
    },
    stored,
    groupId: config.SINK_GROUP_ID,
    serviceName: config.SERVICE_NAME,
    batchSize: config.SINK_BATCH_SIZE,
    flushIntervalMs: config.SINK_FLUSH_INTERVAL,
    maxBackoffMs: config.SINK_MAX_BACKOFF,
    partitionsConsumedConcurrently: config.SINK_PARTITIONS_CONCURRENTLY,
    tokenizer,
    logger,
    onCrash: () => void shutdown.shutdown('consumer crashed', 1),
    tuning: consumerTuning(config),
  });

  const retention = startRetention({
    client: clickhouse,
    tables: [...stored.map((s) => s.stream.table), 'dead_letters'],
    days: config.SINK_RETENTION_DAYS,
    intervalMs: config.SINK_RETENTION_INTERVAL,
    settle: true,
    logger,
  });
  shutdown.onShutdown('retention', () => retention.stop());

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { clickhouse: () => !sink.retrying, consuming: () => sink.consumer.consuming },
    metrics: telemetry.metricsHandler,
  });
  shutdown.onShutdown('health', () => health.close());

  await sink.start();
  shutdown.onShutdown('consumer', () => sink.stop());
  health.setReady(true);
  logger.info({ port: health.port, database: config.CLICKHOUSE_DATABASE }, 'sink consuming');
});
