import { randomUUID } from 'node:crypto';
import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import {
  consumerTuning,
  createAvroSerde,
  createBatchConsumer,
  createHttpAuth,
  createLogger,
  createProducer,
  createRegistryClient,
  createShutdown,
  runMain,
  serviceKafka,
  startHealthServer,
  startTelemetry,
} from '@pipeline/shared';
import {
  auditStartOnTopic,
  createTopicDeadLetters,
  type EnrichedRequest,
  type EnrichedTransaction,
  type Interaction,
  interactionProblem,
  type Label,
  type RecommendationRequest,
  recsysTopics,
  requestProblem,
  schemaFor,
  type Transaction,
  valueSubject,
} from '@pipeline/topology';
import { startFeatureApi } from './api.js';
import { labelsGroupOf, parseFeaturesEnv } from './config.js';
import { compileDeclaredPlan } from './declared.js';
import { createDeclaredHandler } from './declared-handler.js';
import type { Engine } from './engine.js';
import { createFrontier } from './frontier.js';
import { createLabelsHandler, createTransactionsHandler } from './handler.js';
import { frontierKey, labelProgressKey } from './keys.js';
import { createLabelGate } from './label-gate.js';
import { labelSource } from './label-progress.js';
import { compilePlan } from './plan.js';
import { connectFeaturesRedis } from './redis.js';
import type { RequestEngine } from './requests.js';
import { scriptsFor } from './scripts.js';
import { createTokenMap } from './token-map.js';

await runMain('features', async () => {
  const config = parseFeaturesEnv();
  const telemetry = startTelemetry(config.SERVICE_NAME);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());

  // Refuses a REDIS_CLUSTER that does not match the server before anything is consumed.
  const redis = await connectFeaturesRedis(config);
  shutdown.onShutdown('redis', async () => {
    await redis.quit();
  });
  const { tokenizer, ...settings } = config;
  if (!tokenizer)
    logger.warn('PII_TOKEN_KEYS unset: console labels (terminal by token) do not count for the raw terminal');

  const kafka = serviceKafka(config, logger);
  const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  await auditStartOnTopic({
    kafka,
    serde,
    topic: config.FEATURES_AUDIT_TOPIC,
    service: config.SERVICE_NAME,
    config: settings,
  });
  const producer = createProducer(kafka);
  await producer.connect();
  shutdown.onShutdown('producer', () => producer.disconnect());

  const deadLetters = await createTopicDeadLetters({
    producer,
    serde,
    topic: config.FEATURES_DEAD_LETTER_TOPIC,
    service: config.SERVICE_NAME,
  });
  const onCrash = () => void shutdown.shutdown('consumer crashed', 1);
  const uses = new Set(config.FEATURES_USE_CASES);
  // Started last, in this order; stopped in reverse.
  const consumers: { name: string; consumer: { start(): Promise<void>; stop(): Promise<void>; consuming: boolean } }[] =
    [];
  let apiPort: number | undefined;

  const admin = kafka.admin();
  await admin.connect();
  shutdown.onShutdown('admin', () => admin.disconnect());
  const partitionsOf = async (topic: string) =>
    (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0;

  if (uses.has('fraud')) {
    const plan = compilePlan(fraudFeatureSet, config.FEATURES_ALLOWED_LATENESS, config.FEATURES_OUTPUT_RETENTION);
    // Scripts registered before any command: an auto-pipeline holds only the scripts defined when it
    // was opened, so one defined on a use case's first batch fails the other's calls in that tick.
    scriptsFor(redis, plan);
    const engine: Engine = {
      set: fraudFeatureSet,
      plan,
      prefix: config.FEATURES_KEY_PREFIX,
      rules: {
        maxAmountMinor: config.FEATURES_MAX_AMOUNT_MINOR,
        maxFutureMs: config.FEATURES_MAX_FUTURE,
        allowedLatenessMs: config.FEATURES_ALLOWED_LATENESS,
      },
      // The map lives as long as the terminal's state would.
      ...(tokenizer ? { tokens: createTokenMap(tokenizer, plan.keyTtlMs) } : {}),
    };

    // Labels have their own consumer (and group), so the transactions consumer can wait for them.
    const labelsGroup = labelsGroupOf(config.FEATURES_GROUP_ID);
    const progressKey = labelProgressKey(config.FEATURES_KEY_PREFIX, labelsGroup, config.FEATURES_LABELS_TOPIC);
    const labels = createLabelsHandler({ redis, engine, groupId: labelsGroup, progressKey });
    const labelsConsumer = createBatchConsumer<Label>({
      kafka,
      groupId: labelsGroup,
      fromBeginning: true,
      ...consumerTuning(config),
      // Labels are few: the broker answers as soon as one is there, and an idle topic is asked
      // ten times a second instead of two hundred.
      fetch: { minBytes: 1, maxWaitMs: 100 },
      decoders: { [config.FEATURES_LABELS_TOPIC]: serde.decoder<Label>(schemaFor('fraud/label').type) },
      handler: labels.handler,
      onDurable: labels.onDurable,
      deadLetters,
      logger,
      onCrash,
    });

    const gate = createLabelGate({
      source: labelSource({
        redis,
        admin,
        key: progressKey,
        topic: config.FEATURES_LABELS_TOPIC,
        groupId: labelsGroup,
      }),
      latenessMs: config.FEATURES_ALLOWED_LATENESS,
      maxWaitMs: config.FEATURES_LABELS_MAX_WAIT,
    });
    const frontier = createFrontier({
      redis,
      key: frontierKey(config.FEATURES_KEY_PREFIX, config.FEATURES_GROUP_ID, config.FEATURES_TRANSACTIONS_TOPIC),
      member: randomUUID(),
      // By then a member that is gone has lost its partitions to the others, who publish them.
      staleMs: 2 * config.KAFKA_SESSION_TIMEOUT,
    });
    const transactions = createTransactionsHandler({
      redis,
      engine,
      producer,
      encoder: await serde.encoder<EnrichedTransaction>(
        valueSubject(config.FEATURES_ENRICHED_TOPIC),
        schemaFor('fraud/enriched-transaction').type,
      ),
      groupId: config.FEATURES_GROUP_ID,
      enrichedTopic: config.FEATURES_ENRICHED_TOPIC,
      labels: gate,
      logger,
      alignMaxWaitMs: config.FEATURES_ALIGN_MAX_WAIT,
      alignConfirm: config.FEATURES_ALIGN_CONFIRM,
      frontier: { shared: frontier, partitions: await partitionsOf(config.FEATURES_TRANSACTIONS_TOPIC) },
      // A member that is gone is replaced by a rebalance (after the session timeout), not passed over:
      // this only bounds the wait for one that is alive and stuck.
      alignMemberWaitMs: 3 * config.KAFKA_SESSION_TIMEOUT,
    });
    const transactionsConsumer = createBatchConsumer<Transaction>({
      kafka,
      groupId: config.FEATURES_GROUP_ID,
      fromBeginning: true,
      partitionsConsumedConcurrently: config.FEATURES_PARTITIONS_CONCURRENTLY,
      // Batches buffered for the event-time merge: a few per partition keep every partition fed, and
      // the bound keeps a catch-up from holding the whole backlog in memory.
      maxBatchesInFlight: 32,
      ...consumerTuning(config),
      decoders: {
        [config.FEATURES_TRANSACTIONS_TOPIC]: serde.decoder<Transaction>(schemaFor('fraud/transaction').type),
      },
      handler: transactions.handler,
      onFetch: transactions.onFetch,
      onAssigned: transactions.onAssigned,
      onRebalancing: transactions.onRebalancing,
      deadLetters,
      logger,
      onCrash,
    });

    const api = await startFeatureApi({
      redis,
      engine,
      auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'features-api' }),
      port: config.FEATURES_API_PORT,
    });
    shutdown.onShutdown('feature api', () => api.close());
    // Transactions stop first, while labels still flow to any batch waiting for them.
    consumers.push({ name: 'labels consumer', consumer: labelsConsumer });
    consumers.push({ name: 'transactions consumer', consumer: transactionsConsumer });
    apiPort = api.port;
  }

  if (uses.has('recsys')) {
    // Interactions and requests in one group: the entities the set declares, and its requests' candidates.
    const recsys: RequestEngine = {
      declared: {
        set: recsysFeatureSet,
        plan: compileDeclaredPlan(
          recsysFeatureSet,
          config.FEATURES_ALLOWED_LATENESS,
          config.FEATURES_OUTPUT_RETENTION,
          config.FEATURES_PROBE_RETENTION,
        ),
        prefix: config.FEATURES_KEY_PREFIX,
        rules: { maxFutureMs: config.FEATURES_MAX_FUTURE, allowedLatenessMs: config.FEATURES_ALLOWED_LATENESS },
        problem: (event) => interactionProblem(event as Interaction),
      },
      problem: requestProblem,
      maxCandidates: config.FEATURES_MAX_CANDIDATES,
    };
    // Interactions and requests are keyed alike, over as many partitions: one merge of both.
    const recsysFrontier = createFrontier({
      redis,
      key: frontierKey(
        config.FEATURES_KEY_PREFIX,
        config.FEATURES_RECSYS_GROUP_ID,
        `${config.FEATURES_INTERACTIONS_TOPIC}+${config.FEATURES_REQUESTS_TOPIC}`,
      ),
      member: randomUUID(),
      staleMs: 2 * config.KAFKA_SESSION_TIMEOUT,
    });
    const declared = createDeclaredHandler<Interaction>({
      redis,
      engine: recsys,
      producer,
      encoder: await serde.encoder<EnrichedRequest>(
        valueSubject(config.FEATURES_ENRICHED_REQUESTS_TOPIC),
        schemaFor('recsys/enriched-request').type,
      ),
      groupId: config.FEATURES_RECSYS_GROUP_ID,
      eventsTopic: config.FEATURES_INTERACTIONS_TOPIC,
      requestsTopic: config.FEATURES_REQUESTS_TOPIC,
      enrichedTopic: config.FEATURES_ENRICHED_REQUESTS_TOPIC,
      keyField: recsysTopics.enrichedRequests.key,
      logger,
      alignMaxWaitMs: config.FEATURES_ALIGN_MAX_WAIT,
      alignConfirm: config.FEATURES_ALIGN_CONFIRM,
      frontier: {
        shared: recsysFrontier,
        partitions: Math.max(
          await partitionsOf(config.FEATURES_INTERACTIONS_TOPIC),
          await partitionsOf(config.FEATURES_REQUESTS_TOPIC),
        ),
      },
      alignMemberWaitMs: 3 * config.KAFKA_SESSION_TIMEOUT,
    });
    const recsysConsumer = createBatchConsumer<Interaction | RecommendationRequest>({
      kafka,
      groupId: config.FEATURES_RECSYS_GROUP_ID,
      fromBeginning: true,
      partitionsConsumedConcurrently: config.FEATURES_PARTITIONS_CONCURRENTLY,
      ...consumerTuning(config),
      decoders: {
        [config.FEATURES_INTERACTIONS_TOPIC]: serde.decoder<Interaction>(schemaFor('recsys/interaction').type),
        [config.FEATURES_REQUESTS_TOPIC]: serde.decoder<RecommendationRequest>(
          schemaFor('recsys/recommendation-request').type,
        ),
      },
      // Batches buffered for the event-time merge, as for transactions.
      maxBatchesInFlight: 32,
      handler: declared.handler,
      onFetch: declared.onFetch,
      onAssigned: declared.onAssigned,
      onRebalancing: declared.onRebalancing,
      deadLetters,
      logger,
      onCrash,
    });
    consumers.push({ name: 'recsys consumer', consumer: recsysConsumer });
  }

  const health = await startHealthServer({
    auth: createHttpAuth({ tokens: config.HTTP_AUTH_TOKENS, logger, server: 'health' }),
    port: config.HTTP_PORT,
    checks: {
      redis: () => redis.status === 'ready',
      consuming: () => consumers.every(({ consumer }) => consumer.consuming),
    },
    metrics: telemetry.metricsHandler,
  });
  shutdown.onShutdown('health', () => health.close());

  for (const { name, consumer } of consumers) {
    await consumer.start();
    shutdown.onShutdown(name, () => consumer.stop());
  }
  health.setReady(true);
  logger.info({ apiPort, healthPort: health.port, useCases: [...uses] }, 'features started');
});
