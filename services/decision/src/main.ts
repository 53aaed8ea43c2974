import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
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
import { parseConfig, type UseCase } from './config.js';
import { createDecisionEngine, type DecisionEngine } from './engine.js';
import { parseRankingPolicy } from './ranking/policy.js';
import { openPolicyStore, openRuleStore } from './rules/store.js';
import { fraudUseCase } from './use-cases/fraud.js';
import { recsysUseCase } from './use-cases/recsys.js';

await runMain('decision', async () => {
  const config = parseConfig();
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  const kafka = serviceKafka(config, logger);
  const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  await auditStartOnTopic({ kafka, serde, topic: config.DECISION_AUDIT_TOPIC, service: config.SERVICE_NAME, config });

  // Refuses a REDIS_CLUSTER that does not match the server before anything is consumed.
  const redis = await connectRedis(config);
  shutdown.onShutdown('redis', async () => void (await redis.quit()));

  const common = {
    kafka,
    serde,
    redis,
    logger,
    service: config.SERVICE_NAME,
    budgetMs: config.DECISION_SCORE_BUDGET,
    catchUp: { afterMs: config.DECISION_CATCH_UP_AFTER, budgetMs: config.DECISION_CATCH_UP_BUDGET },
    tuning: consumerTuning(config),
    onCrash: () => void shutdown.shutdown('consumer crashed', 1),
    keyPrefix: config.DECISION_REDIS_PREFIX,
    ttl: { scoresMs: config.DECISION_SCORE_TTL, decidedMs: config.DECISION_DEDUP_TTL },
  };
  const open: Record<UseCase, () => Promise<DecisionEngine>> = {
    fraud: async () => {
      const rules = await openRuleStore({
        file: config.DECISION_RULES_FILE,
        featureSet: fraudFeatureSet,
        pollMs: config.DECISION_RULES_POLL,
        onApplied: (r) => logger.info({ version: r.version }, 'rule set applied'),
        onRefused: (err) => logger.error({ err }, 'rule file refused; the previous rule set keeps deciding'),
      });
      logger.info({ version: rules.current().version, file: config.DECISION_RULES_FILE }, 'rule set loaded');
      shutdown.onShutdown('rules', () => rules.close());
      return createDecisionEngine({
        ...common,
        groupId: config.DECISION_GROUP_ID,
        topics: {
          enriched: config.DECISION_ENRICHED_TOPIC,
          scores: config.DECISION_SCORES_TOPIC,
          decisions: config.DECISION_DECISIONS_TOPIC,
          deadLetters: config.DECISION_DEAD_LETTER_TOPIC,
        },
        useCase: fraudUseCase(rules, fraudFeatureSet),
      });
    },
    recsys: async () => {
      const file = config.DECISION_RECSYS_POLICY_FILE;
      const policies = await openPolicyStore({
        file,
        parse: (text, f) => parseRankingPolicy(text, recsysFeatureSet, f),
        pollMs: config.DECISION_RULES_POLL,
        onApplied: (p) => logger.info({ version: p.version }, 'ranking policy applied'),
        onRefused: (err) => logger.error({ err }, 'ranking policy refused; the previous policy keeps ranking'),
      });
      logger.info({ version: policies.current().version, file }, 'ranking policy loaded');
      shutdown.onShutdown('ranking policy', () => policies.close());
      return createDecisionEngine({
        ...common,
        groupId: config.DECISION_RECSYS_GROUP_ID,
        topics: {
          enriched: config.DECISION_RECSYS_ENRICHED_TOPIC,
          scores: config.DECISION_RECSYS_SCORES_TOPIC,
          decisions: config.DECISION_RECSYS_RECOMMENDATIONS_TOPIC,
          deadLetters: config.DECISION_DEAD_LETTER_TOPIC,
        },
        useCase: recsysUseCase(policies, recsysFeatureSet),
      });
    },
  };
  const engines: DecisionEngine[] = [];
  for (const useCase of config.DECISION_USE_CASES) {
    const engine = await open[useCase]();
    await engine.start();
    engines.push(engine);
    shutdown.onShutdown(`engine ${useCase}`, () => engine.stop());
  }

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { consuming: () => engines.every((e) => e.running), redis: () => redis.status === 'ready' },
    metrics: telemetry.metricsHandler,
  });
  health.setReady(true);
  shutdown.onShutdown('health', () => health.close());
  logger.info(
    { port: health.port, budgetMs: config.DECISION_SCORE_BUDGET, useCases: config.DECISION_USE_CASES },
    'decision engine started',
  );
});
