import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  connectRedis,
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
import { createDecisionEngine } from './engine.js';
import { openRuleStore } from './rules/store.js';

await runMain('decision', async () => {
  const config = parseConfig();
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  const kafka = serviceKafka(config, logger);
  const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  await auditStartOnTopic({ kafka, serde, topic: config.DECISION_AUDIT_TOPIC, service: config.SERVICE_NAME, config });

  const rules = await openRuleStore({
    file: config.DECISION_RULES_FILE,
    featureSet: fraudFeatureSet,
    pollMs: config.DECISION_RULES_POLL,
    onApplied: (r) => logger.info({ version: r.version }, 'rule set applied'),
    onRefused: (err) => logger.error({ err }, 'rule file refused; the previous rule set keeps deciding'),
  });
  logger.info({ version: rules.current().version, file: config.DECISION_RULES_FILE }, 'rule set loaded');
  shutdown.onShutdown('rules', () => rules.close());

  // Refuses a REDIS_CLUSTER that does not match the server before anything is consumed.
  const redis = await connectRedis(config);
  shutdown.onShutdown('redis', async () => void (await redis.quit()));

  const engine = await createDecisionEngine({
    kafka,
    serde,
    redis,
    logger,
    service: config.SERVICE_NAME,
    groupId: config.DECISION_GROUP_ID,
    topics: {
      enriched: config.DECISION_ENRICHED_TOPIC,
      scores: config.DECISION_SCORES_TOPIC,
      decisions: config.DECISION_DECISIONS_TOPIC,
      deadLetters: config.DECISION_DEAD_LETTER_TOPIC,
    },
    rules,
    featureSet: fraudFeatureSet,
    budgetMs: config.DECISION_SCORE_BUDGET,
    catchUp: { afterMs: config.DECISION_CATCH_UP_AFTER, budgetMs: config.DECISION_CATCH_UP_BUDGET },
    tuning: consumerTuning(config),
    onCrash: () => void shutdown.shutdown('consumer crashed', 1),
    keyPrefix: config.DECISION_REDIS_PREFIX,
    ttl: { scoresMs: config.DECISION_SCORE_TTL, decidedMs: config.DECISION_DEDUP_TTL },
  });
  await engine.start();
  shutdown.onShutdown('engine', () => engine.stop());

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { consuming: () => engine.running, redis: () => redis.status === 'ready' },
    metrics: telemetry.metricsHandler,
  });
  health.setReady(true);
  shutdown.onShutdown('health', () => health.close());
  logger.info({ port: health.port, budgetMs: config.DECISION_SCORE_BUDGET }, 'decision engine started');
});
