import { metrics } from '@opentelemetry/api';
import type { ServedModel, ServingSet } from './models.js';
import type { ModelResult, ScoringPool } from './pool.js';

/** Every served model's result for one matrix, champion first: `results[i]` is `models[i]`'s. */
export interface ServedResults {
  models: ServedModel[];
  results: ModelResult[];
}

/**
 * Scores row-major rows × width matrices on the pool with the serving set taken whole when each is
 * handed over (champion, then every shadow/challenger), and records each model's inference time.
 * `vectors` is transferred to the worker (unusable afterwards).
 */
export function servingScorer(options: {
  pool: ScoringPool;
  models: () => ServingSet;
  width: number;
}): (vectors: Float32Array, rows: number, explainMinScore: number) => Promise<ServedResults> {
  const { pool, width } = options;
  const inference = metrics
    .getMeter('pipeline.scorer')
    .createHistogram('scorer_batch_inference', { unit: 'ms', description: 'Inference per batch' });
  return async (vectors, rows, explainMinScore) => {
    const set = options.models();
    const models = [set.champion, ...set.shadows];
    const results = await pool.score({ models: models.map((m) => m.worker), vectors, rows, width, explainMinScore });
    for (const [i, r] of results.entries()) inference.record(r.latencyMs, { model: models[i]?.ref ?? '' });
    return { models, results };
  };
}
