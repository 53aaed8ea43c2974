import { metrics } from '@opentelemetry/api';
import {
  type AvroSerde,
  type BatchHandler,
  type ConsumerTuning,
  carriedHeaders,
  createBatchConsumer,
  createProducer,
  type Kafka,
  type Logger,
} from '@pipeline/shared';
import {
  createTopicDeadLetters,
  type EnrichedTransaction,
  type Score,
  schemaFor,
  valueSubject,
} from '@pipeline/topology';
import { createMicroBatcher } from './batcher.js';
import type { ServedModel, ServingSet } from './models.js';
import type { ScoringPool } from './pool.js';
import type { FeatureSetLike } from './registry/contract.js';
import { checkVector, packRows } from './vector.js';

export interface ScorerOptions {
  kafka: Kafka;
  serde: AvroSerde;
  logger: Logger;
  service: string;
  groupId: string;
  topics: { enriched: string; scores: string; deadLetters: string };
  pool: ScoringPool;
  featureSet: FeatureSetLike;
  /** The set each micro-batch is scored with, read when the batch is flushed. */
  models: () => ServingSet;
  batch: { maxSize: number; maxWaitMs: number; explainMinScore: number };
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  /** The consumer stopped for good: the service should exit. */
  onCrash?: (error: Error) => void;
  tuning?: ConsumerTuning;
  now?: () => number;
}

export interface Scorer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Started, and its consumer in the group (see BatchConsumer.consuming). */
  readonly running: boolean;
}

interface ModelScore {
  model: ServedModel;
  score: number;
  latencyMs: number;
  contributions: { feature: string; value: number }[];
}

/**
 * Consumes enriched transactions, scores them in micro-batches on the worker pool with the champion
 * and every shadow/challenger, and emits one Score per transaction per model, produced with acks
 * before the offsets are committed. Vectors not of the served feature set are dead-lettered.
 */
export async function createScorer(options: ScorerOptions): Promise<Scorer> {
  const { kafka, serde, logger, topics, pool, featureSet, now = Date.now } = options;
  const width = featureSet.names.length;
  const meter = metrics.getMeter('pipeline.scorer');
  const scored = meter.createCounter('scorer_scores', { description: 'Score events emitted' });
  const inference = meter.createHistogram('scorer_batch_inference', { unit: 'ms', description: 'Inference per batch' });

  const producer = createProducer(kafka);
  const scoreEncoder = await serde.encoder<Score>(valueSubject(topics.scores), schemaFor('fraud/score').type);
  const deadLetters = await createTopicDeadLetters({
    producer,
    serde,
    topic: topics.deadLetters,
    service: options.service,
  });

  const batcher = createMicroBatcher<readonly number[], ModelScore[]>({
    maxSize: options.batch.maxSize,
    maxWaitMs: options.batch.maxWaitMs,
    run: async (rows) => {
      const set = options.models();
      const models = [set.champion, ...set.shadows];
      const results = await pool.score({
        models: models.map((m) => m.worker),
        vectors: packRows(rows, width),
        rows: rows.length,
        width,
        explainMinScore: options.batch.explainMinScore,
      });
      for (const [i, r] of results.entries()) inference.record(r.latencyMs, { model: models[i]?.ref ?? '' });
      return rows.map((_, row) =>
        results.map((r, m) => {
          const contributions: ModelScore['contributions'] = [];
          for (let k = 0; k < 3; k++) {
            const index = r.topIndex[row * 3 + k] as number;
            if (index < 0) break;
            contributions.push({
              feature: featureSet.names[index] as string,
              value: r.topValue[row * 3 + k] as number,
            });
          }
          return {
            model: models[m] as ServedModel,
            score: r.scores[row] as number,
            latencyMs: r.latencyMs,
            contributions,
          };
        }),
      );
    },
  });

  const handler: BatchHandler<EnrichedTransaction> = async (records) => {
    const rejected: { record: (typeof records)[number]; error: unknown }[] = [];
    const valid: (typeof records)[number][] = [];
    const seen = new Set<string>();
    for (const record of records) {
      const error = checkVector(record.value, featureSet);
      if (error) rejected.push({ record, error });
      else if (!seen.has(record.value.transaction.event_id)) {
        // The same event twice in one batch (a producer retry) is scored once.
        seen.add(record.value.transaction.event_id);
        valid.push(record);
      }
    }
    const results = await Promise.all(valid.map((record) => batcher.add(record.value.features.values)));
    const scoredAt = now();
    const messages = valid.flatMap(({ value: event, headers }, i) =>
      (results[i] as ModelScore[]).map((s) => {
        const score: Score = {
          event_id: event.transaction.event_id,
          customer_id: event.transaction.customer_id,
          event_time: event.transaction.event_time,
          model_name: s.model.name,
          model_version: s.model.version,
          feature_set_version: event.features.version,
          score: s.score,
          shadow: s.model.shadow,
          latency_ms: s.latencyMs,
          scored_at: scoredAt,
          contributions: s.contributions,
        };
        return { key: score.customer_id, value: scoreEncoder.encode(score), headers: carriedHeaders(headers) };
      }),
    );
    if (messages.length > 0) await producer.send({ topic: topics.scores, acks: -1, messages });
    scored.add(messages.length);
    return { rejected };
  };

  const consumer = createBatchConsumer<EnrichedTransaction>({
    kafka,
    groupId: options.groupId,
    decoders: { [topics.enriched]: serde.decoder<EnrichedTransaction>(schemaFor('fraud/enriched-transaction').type) },
    handler,
    deadLetters,
    logger,
    fromBeginning: options.fromBeginning ?? false,
    // Batches of several partitions fill the same micro-batches.
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
    ...options.tuning,
    onCrash: options.onCrash,
  });

  let running = false;
  return {
    get running() {
      return running && consumer.consuming;
    },
    async start() {
      await producer.connect();
      await consumer.start();
      running = true;
    },
    async stop() {
      running = false;
      await consumer.stop();
      batcher.flush();
      await producer.disconnect();
    },
  };
}
