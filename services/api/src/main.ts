import { openRuleStore } from '@pipeline/decision';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  connectRedis,
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
import { startApi } from './app.js';
import { parseConfig } from './config.js';
import { groupIdFor } from './pipeline.js';

await runMain('api', async () => {
  const config = parseConfig();
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  const kafka = serviceKafka(config, logger);
  const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  await auditStartOnTopic({ kafka, serde, topic: config.API_AUDIT_TOPIC, service: config.SERVICE_NAME, config });

  const rules = await openRuleStore({
    file: config.DECISION_RULES_FILE,
    featureSet: fraudFeatureSet,
    pollMs: config.DECISION_RULES_POLL,
    onApplied: (r) => logger.info({ version: r.version }, 'rule set applied'),
    onRefused: (err) => logger.error({ err }, 'rule file refused; the previous rule set keeps deciding'),
  });
  shutdown.onShutdown('rules', () => rules.close());

  const redis = await connectRedis(config);
  shutdown.onShutdown('redis', async () => void (await redis.quit()));

  const api = await startApi({
    kafka,
    serde,
    redis,
    logger,
    rules,
    featureSet: fraudFeatureSet,
    port: config.API_PORT,
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'api' }),
    groupId: groupIdFor(config.API_GROUP_PREFIX),
    topics: {
      transactions: config.API_TRANSACTIONS_TOPIC,
      enriched: config.API_ENRICHED_TOPIC,
      decisions: config.API_DECISIONS_TOPIC,
      deadLetters: config.API_DEAD_LETTER_TOPIC,
    },
    strandedHoldMs: config.API_STRANDED_HOLD,
    deadline: {
      defaultMs: config.API_DEADLINE_DEFAULT,
      minMs: config.API_DEADLINE_MIN,
      maxMs: config.API_DEADLINE_MAX,
    },
    produceTimeoutMs: config.API_PRODUCE_TIMEOUT,
    emittedGraceMs: config.API_EMITTED_GRACE,
    idempotencyTtlMs: config.API_IDEMPOTENCY_TTL,
    maxBodyBytes: config.API_MAX_BODY_BYTES,
    keyPrefix: config.API_REDIS_PREFIX,
    engine: { keyPrefix: config.DECISION_REDIS_PREFIX, decidedTtlMs: config.DECISION_DEDUP_TTL },
  });
  shutdown.onShutdown('api', () => api.close());

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: { pipeline: () => api.pipeline.unavailable() === null, redis: () => redis.status === 'ready' },
    metrics: telemetry.metricsHandler,
  });
  health.setReady(true);
  shutdown.onShutdown('health', () => health.close());
  logger.info({ port: api.port, healthPort: health.port }, 'decision API started');
});
