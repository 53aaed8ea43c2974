import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  consumerTuning,
  createAvroSerde,
  createHttpAuth,
  createLogger,
  createRegistryClient,
  createShutdown,
  runMain,
  serviceKafka,
  startHealthServer,
  startTelemetry,
} from '@pipeline/shared';
import { auditStartOnTopic } from '@pipeline/topology';
import { parseConfig } from './config.js';
import { loadServingSet } from './models.js';
import { createScoringPool } from './pool.js';
import { openRegistry } from './registry/select.js';
import { createScorer } from './scorer.js';
import { createModelWatcher } from './watcher.js';

await runMain('scorer', async () => {
  const config = parseConfig();
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  const kafka = serviceKafka(config, logger);
  const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  await auditStartOnTopic({ kafka, serde, topic: config.SCORER_AUDIT_TOPIC, service: config.SERVICE_NAME, config });

  const pool = createScoringPool({ threads: config.SCORER_THREADS });
  shutdown.onShutdown('pool', () => pool.close());
  const registry = openRegistry(config);
  const load = () =>
    loadServingSet(registry, { featureSet: fraudFeatureSet, pool, explainShadows: config.SCORER_EXPLAIN_SHADOWS });
  const models = createModelWatcher({
    registry,
    initial: await load(),
    load,
    pollMs: config.SCORER_REGISTRY_POLL,
    onSwap: (next, previous) =>
      logger.info({ models: next.signature, previous: previous.signature }, 'models swapped; new batches use them'),
    onRefused: (err, signature) =>
      logger.error({ err, models: signature }, 'model set refused; the previous models keep serving'),
  });
  shutdown.onShutdown('models', () => models.stop());
  logger.info({ models: models.current().signature, threads: pool.threads }, 'models loaded');

  const scorer = await createScorer({
    kafka,
    serde,
    logger,
    service: config.SERVICE_NAME,
    groupId: config.SCORER_GROUP_ID,
    topics: {
      enriched: config.SCORER_ENRICHED_TOPIC,
      scores: config.SCORER_SCORES_TOPIC,
      deadLetters: config.SCORER_DEAD_LETTER_TOPIC,
    },
    pool,
    featureSet: fraudFeatureSet,
    models: models.current,
    tuning: consumerTuning(config),
    onCrash: () => void shutdown.shutdown('consumer crashed', 1),
    batch: {
      maxSize: config.SCORER_BATCH_SIZE,
      maxWaitMs: config.SCORER_BATCH_WAIT,
      explainMinScore: config.SCORER_EXPLAIN_MIN_SCORE,
    },
  });
  await scorer.start();
  shutdown.onShutdown('scorer', () => scorer.stop());

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { consuming: () => scorer.running },
    metrics: telemetry.metricsHandler,
  });
  health.setReady(true);
  shutdown.onShutdown('health', () => health.close());
  logger.info({ port: health.port }, 'scorer started');
});
