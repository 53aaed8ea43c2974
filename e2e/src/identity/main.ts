// One identity hop as its own process (the benchmark's baseline pipeline): RELAY_FROM → RELAY_TO.
import {
  consumerTuning,
  createAvroSerde,
  createHttpAuth,
  createLogger,
  createProducer,
  createRegistryClient,
  createShutdown,
  env,
  kafkaVars,
  parseEnv,
  runMain,
  schemaRegistryVars,
  serviceKafka,
  serviceVars,
  startHealthServer,
  startTelemetry,
} from '@pipeline/shared';
import { createTopicDeadLetters, pipelineTopics } from '@pipeline/topology';
import { createRelay } from './relay.js';

await runMain('relay', async () => {
  const config = parseEnv({
    ...serviceVars,
    ...kafkaVars,
    ...schemaRegistryVars,
    RELAY_FROM: env.string(),
    RELAY_TO: env.string(),
    RELAY_GROUP_ID: env.string(),
    RELAY_DEAD_LETTER_TOPIC: env.string().default(pipelineTopics.deadLetters.name),
    RELAY_PARTITIONS_CONCURRENTLY: env.positiveInt().default(6),
  });
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());

  const kafka = serviceKafka(config, logger);
  const producer = createProducer(kafka);
  await producer.connect();
  shutdown.onShutdown('producer', () => producer.disconnect());
  const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  const relay = createRelay({
    kafka,
    producer,
    from: config.RELAY_FROM,
    to: config.RELAY_TO,
    groupId: config.RELAY_GROUP_ID,
    deadLetters: await createTopicDeadLetters({
      producer,
      serde,
      topic: config.RELAY_DEAD_LETTER_TOPIC,
      service: config.SERVICE_NAME,
    }),
    logger,
    partitionsConsumedConcurrently: config.RELAY_PARTITIONS_CONCURRENTLY,
    tuning: consumerTuning(config),
    onCrash: () => void shutdown.shutdown('consumer crashed', 1),
  });
  await relay.start();
  shutdown.onShutdown('relay', () => relay.stop());

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    metrics: telemetry.metricsHandler,
  });
  health.setReady(true);
  shutdown.onShutdown('health', () => health.close());
  logger.info({ from: config.RELAY_FROM, to: config.RELAY_TO }, 'relay started');
});
