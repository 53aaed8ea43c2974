import type { EnrichedTransaction, Score } from '@pipeline/topology';
import { createMicroBatcher } from '../batcher.js';
import type { ServedModel, ServingSet } from '../models.js';
import type { ScoringPool } from '../pool.js';
import type { FeatureSetLike } from '../registry/contract.js';
import type { ScoringUseCase } from '../scoring-consumer.js';
import { type ServedResults, servingScorer } from '../serve.js';
import { checkVector, packRows } from '../vector.js';

/** One model's score of one event, with its top contributions (largest first, at most three). */
export interface ModelScore {
  model: ServedModel;
  score: number;
  latencyMs: number;
  contributions: { feature: string; value: number }[];
}

/** Per row of a micro-batch, every model's score of it, in the models' order. */
export function modelScores({ models, results }: ServedResults, rows: number, featureNames: readonly string[]) {
  return Array.from({ length: rows }, (_, row) =>
    results.map((r, m): ModelScore => {
      const contributions: ModelScore['contributions'] = [];
      for (let k = 0; k < 3; k++) {
        const index = r.topIndex[row * 3 + k] as number;
        if (index < 0) break;
        contributions.push({ feature: featureNames[index] as string, value: r.topValue[row * 3 + k] as number });
      }
      return { model: models[m] as ServedModel, score: r.scores[row] as number, latencyMs: r.latencyMs, contributions };
    }),
  );
}

/** The event's Score messages, one per model. */
export function scoreMessages(event: EnrichedTransaction, scores: readonly ModelScore[], scoredAt: number): Score[] {
  return scores.map((s) => ({
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
  }));
}

export interface FraudScoringOptions {
  pool: ScoringPool;
  featureSet: FeatureSetLike;
  /** The set each micro-batch is scored with, read when the batch is flushed. */
  models: () => ServingSet;
  batch: { maxSize: number; maxWaitMs: number; explainMinScore: number };
}

/**
 * Fraud: enriched transactions, one vector each, scored in micro-batches shared by every event the
 * consumer holds (flushed at `maxSize` events or after `maxWaitMs`), explained when the score is at
 * least `explainMinScore`; one Score per transaction per model, keyed by customer. A vector not of
 * the served feature set is dead-lettered.
 */
export function fraudScoring(options: FraudScoringOptions): ScoringUseCase<EnrichedTransaction, ModelScore[], Score> {
  const { featureSet, batch } = options;
  const run = servingScorer({ pool: options.pool, models: options.models, width: featureSet.names.length });
  const batcher = createMicroBatcher<readonly number[], ModelScore[]>({
    maxSize: batch.maxSize,
    maxWaitMs: batch.maxWaitMs,
    run: async (rows) =>
      modelScores(
        await run(packRows(rows, featureSet.names.length), rows.length, batch.explainMinScore),
        rows.length,
        featureSet.names,
      ),
  });
  return {
    schemas: { input: 'fraud/enriched-transaction', output: 'fraud/score' },
    check: (event) => checkVector(event, featureSet),
    id: (event) => event.transaction.event_id,
    score: (event) => batcher.add(event.features.values),
    messages: scoreMessages,
    key: (score) => score.customer_id,
    flush: () => batcher.flush(),
  };
}
