import type { EnrichedRequest, RecommendationScores } from '@pipeline/topology';
import { candidateMatrix, checkCandidates, scoresMessages } from '../candidates.js';
import type { ServingSet } from '../models.js';
import type { ScoringPool } from '../pool.js';
import type { FeatureSetLike } from '../registry/contract.js';
import type { ScoringUseCase } from '../scoring-consumer.js';
import { type ServedResults, servingScorer } from '../serve.js';

export interface RecsysScoringOptions {
  pool: ScoringPool;
  featureSet: FeatureSetLike;
  /** The set each request is scored with, read when its matrix is handed to the pool. */
  models: () => ServingSet;
}

/**
 * Recommendations: each enriched request's candidates scored as one micro-batch (N×F, candidates.ts),
 * its own pool task (the requests of a batch run side by side, one per thread); one
 * RecommendationScores per request per model, keyed by user. Requests that are invalid, of another
 * feature set or width, or that a model scores NaN are dead-lettered with the reason. No
 * contributions: ranking needs the order, not reasons per candidate.
 */
export function recsysScoring(
  options: RecsysScoringOptions,
): ScoringUseCase<EnrichedRequest, ServedResults, RecommendationScores> {
  const { featureSet } = options;
  const width = featureSet.names.length;
  const run = servingScorer({ pool: options.pool, models: options.models, width });
  return {
    schemas: { input: 'recsys/enriched-request', output: 'recsys/score' },
    check: (event) => checkCandidates(event, featureSet),
    id: (event) => event.request.request_id,
    // No row is explained (WorkerModel.explain is off for these models too).
    score: (event) => run(candidateMatrix(event, width), event.features.candidates.length, Number.POSITIVE_INFINITY),
    messages(event, { models, results }, scoredAt) {
      try {
        return scoresMessages(
          event,
          results.map((r, i) => ({
            model: models[i] as ServingSet['champion'],
            scores: r.scores,
            latencyMs: r.latencyMs,
          })),
          scoredAt,
        );
      } catch (error) {
        return error as Error;
      }
    },
    key: (scores) => scores.user_id,
  };
}
