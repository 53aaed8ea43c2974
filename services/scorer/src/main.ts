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
import { createCandidatesScorer } from './candidates-scorer.js';
import { parseConfig } from './config.js';
import { loadServingSet } from './models.js';
import { createScoringPool } from './pool.js';
import { openRegistry } from './registry/select.js';
import { createScorer, type Scorer } from './scorer.js';
import { SCORER_USE_CASES, type ScorerUseCase } from './use-cases.js';
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
  const scorers: Scorer[] = [];
  // One scorer per use case, each serving its feature set's champion and shadows from one pool.
  for (const useCase of config.SCORER_USE_CASES) {
    const { featureSet, explain } = SCORER_USE_CASES[useCase];
    const log = logger.child({ useCase });
    const load = () =>
      loadServingSet(registry, { featureSet, pool, explainShadows: config.SCORER_EXPLAIN_SHADOWS, explain });
    const models = createModelWatcher({
      registry,
      scope: featureSet.name,
      initial: await load(),
      load,
      pollMs: config.SCORER_REGISTRY_POLL,
      onSwap: (next, previous) =>
        log.info({ models: next.signature, previous: previous.signature }, 'models swapped; new batches use them'),
      onRefused: (err, signature) =>
        log.error({ err, models: signature }, 'model set refused; the previous models keep serving'),
    });
    shutdown.onShutdown(`models ${useCase}`, () => models.stop());
    log.info({ models: models.current().signature, threads: pool.threads }, 'models loaded');

    const common = {
      kafka,
      serde,
      logger: log,
      service: config.SERVICE_NAME,
      pool,
      featureSet,
      models: models.current,
      tuning: consumerTuning(config),
      onCrash: () => void shutdown.shutdown('consumer crashed', 1),
    };
    const open: Record<ScorerUseCase, () => Promise<Scorer>> = {
      fraud: () =>
        createScorer({
          ...common,
          groupId: config.SCORER_GROUP_ID,
          topics: {
            enriched: config.SCORER_ENRICHED_TOPIC,
            scores: config.SCORER_SCORES_TOPIC,
            deadLetters: config.SCORER_DEAD_LETTER_TOPIC,
          },
          batch: {
            maxSize: config.SCORER_BATCH_SIZE,
            maxWaitMs: config.SCORER_BATCH_WAIT,
            explainMinScore: config.SCORER_EXPLAIN_MIN_SCORE,
          },
        }),
      recsys: () =>
        createCandidatesScorer({
          ...common,
          groupId: config.SCORER_RECSYS_GROUP_ID,
          topics: {
            enriched: config.SCORER_ENRICHED_REQUESTS_TOPIC,
            scores: config.SCORER_RECSYS_SCORES_TOPIC,
            deadLetters: config.SCORER_DEAD_LETTER_TOPIC,
          },
        }),
    };
    const scorer = await open[useCase]();
    await scorer.start();
    shutdown.onShutdown(`scorer ${useCase}`, () => scorer.stop());
    scorers.push(scorer);
  }

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { consuming: () => scorers.every((s) => s.running) },
    metrics: telemetry.metricsHandler,
  });
  health.setReady(true);
  shutdown.onShutdown('health', () => health.close());
  logger.info({ port: health.port, useCases: config.SCORER_USE_CASES }, 'scorer started');
});
