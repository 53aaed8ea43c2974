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
  type EnrichedRequest,
  type RecommendationScores,
  schemaFor,
  valueSubject,
} from '@pipeline/topology';
import { candidateMatrix, checkCandidates, scoresMessages } from './candidates.js';
import type { ServingSet } from './models.js';
import type { ScoringPool } from './pool.js';
import type { FeatureSetLike } from './registry/contract.js';
import type { Scorer } from './scorer.js';

export interface CandidatesScorerOptions {
  kafka: Kafka;
  serde: AvroSerde;
  logger: Logger;
  service: string;
  groupId: string;
  /** Enriched requests in (recsys/enriched-request), their scores out (recsys/score). */
  topics: { enriched: string; scores: string; deadLetters: string };
  pool: ScoringPool;
  featureSet: FeatureSetLike;
  /** The set each request is scored with, read when its matrix is handed to the pool. */
  models: () => ServingSet;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  onCrash?: (error: Error) => void;
  tuning?: ConsumerTuning;
  now?: () => number;
}

/**
 * Consumes enriched requests and scores each one's candidates as one micro-batch (N×F) on the worker
 * pool with the champion and every shadow/challenger of the feature set's scope; emits one
 * RecommendationScores per request per model, produced with acks before the offsets are committed.
 * Requests that are invalid, of another feature set or width, or that a model scores NaN are
 * dead-lettered with the reason. No contributions: ranking needs the order, not reasons per candidate.
 */
export async function createCandidatesScorer(options: CandidatesScorerOptions): Promise<Scorer> {
  const { kafka, serde, logger, topics, pool, featureSet, now = Date.now } = options;
  const width = featureSet.names.length;
  const meter = metrics.getMeter('pipeline.scorer');
  const scored = meter.createCounter('scorer_scores', { description: 'Score events emitted' });
  const inference = meter.createHistogram('scorer_batch_inference', { unit: 'ms', description: 'Inference per batch' });

  const producer = createProducer(kafka);
  const encoder = await serde.encoder<RecommendationScores>(
    valueSubject(topics.scores),
    schemaFor('recsys/score').type,
  );
  const deadLetters = await createTopicDeadLetters({
    producer,
    serde,
    topic: topics.deadLetters,
    service: options.service,
  });

  /** The request's messages, or the error that dead-letters it. */
  async function score(event: EnrichedRequest): Promise<RecommendationScores[] | Error> {
    const set = options.models();
    const models = [set.champion, ...set.shadows];
    const rows = event.features.candidates.length;
    const results = await pool.score({
      models: models.map((m) => m.worker),
      vectors: candidateMatrix(event, width),
      rows,
      width,
      // No row is explained (WorkerModel.explain is off for these models too).
      explainMinScore: Number.POSITIVE_INFINITY,
    });
    for (const [i, r] of results.entries()) inference.record(r.latencyMs, { model: models[i]?.ref ?? '' });
    try {
      return scoresMessages(
        event,
        results.map((r, i) => ({
          model: models[i] as ServingSet['champion'],
          scores: r.scores,
          latencyMs: r.latencyMs,
        })),
        now(),
      );
    } catch (error) {
      return error as Error;
    }
  }

  const handler: BatchHandler<EnrichedRequest> = async (records) => {
    const rejected: { record: (typeof records)[number]; error: unknown }[] = [];
    const valid: (typeof records)[number][] = [];
    const seen = new Set<string>();
    for (const record of records) {
      const error = checkCandidates(record.value, featureSet);
      if (error) rejected.push({ record, error });
      else if (!seen.has(record.value.request.request_id)) {
        // The same request twice in one batch (a producer retry) is scored once.
        seen.add(record.value.request.request_id);
        valid.push(record);
      }
    }
    // Each request its own pool task: the pool runs them side by side, one per thread.
    const outcomes = await Promise.all(valid.map((record) => score(record.value)));
    const messages = valid.flatMap((record, i) => {
      const outcome = outcomes[i] as RecommendationScores[] | Error;
      if (outcome instanceof Error) {
        rejected.push({ record, error: outcome });
        return [];
      }
      return outcome.map((s) => ({
        key: s.user_id,
        value: encoder.encode(s),
        headers: carriedHeaders(record.headers),
      }));
    });
    if (messages.length > 0) await producer.send({ topic: topics.scores, acks: -1, messages });
    scored.add(messages.length);
    return { rejected };
  };

  const consumer = createBatchConsumer<EnrichedRequest>({
    kafka,
    groupId: options.groupId,
    decoders: { [topics.enriched]: serde.decoder<EnrichedRequest>(schemaFor('recsys/enriched-request').type) },
    handler,
    deadLetters,
    logger,
    fromBeginning: options.fromBeginning ?? false,
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
      await producer.disconnect();
    },
  };
}
