import type { EnrichedRequest, RecommendationScores } from '@pipeline/topology';
import { enrichedRequestProblem, recommendationScoresProblem } from '@pipeline/topology';
import { InvalidRequestError, VectorMismatchError } from './errors.js';
import type { ServedModel } from './models.js';
import type { FeatureSetLike } from './registry/contract.js';
import { packRows } from './vector.js';

/**
 * The pure parts of scoring a request's candidate list (use-cases/recsys.ts runs them): a request
 * is one micro-batch, an N×F matrix of its candidates' vectors in its order, scored by every served
 * model at once; each model's column of scores becomes one message.
 */

/**
 * The error that dead-letters the request, or undefined when it can be scored: a valid enriched
 * request whose vectors are the served feature set's (name, version, one value per declared feature).
 */
export function checkCandidates(event: EnrichedRequest, set: FeatureSetLike): Error | undefined {
  const problem = enrichedRequestProblem(event);
  if (problem) return new InvalidRequestError(problem);
  const { feature_set, version, candidates } = event.features;
  if (feature_set !== set.name || version !== set.version) {
    return new VectorMismatchError(
      `feature set ${feature_set} v${version} is not ${set.name} v${set.version} that the models are trained on`,
    );
  }
  // enrichedRequestProblem holds every vector to the first one's length.
  const width = candidates[0]?.values.length ?? 0;
  if (width !== set.names.length) {
    return new VectorMismatchError(
      `candidate vectors have ${width} values; ${set.name} v${set.version} declares ${set.names.length}`,
    );
  }
  return undefined;
}

/** The request's candidates as one row-major N×F matrix (NaN stays NaN). */
export function candidateMatrix(event: EnrichedRequest, width: number): Float32Array {
  return packRows(
    event.features.candidates.map((c) => c.values),
    width,
  );
}

/**
 * One message per model: its scores of the request's candidates, in their order. Throws an
 * InvalidRequestError when one is not a valid message (a model scoring NaN), naming the model.
 */
export function scoresMessages(
  event: EnrichedRequest,
  results: readonly { model: ServedModel; scores: ArrayLike<number>; latencyMs: number }[],
  scoredAt: number,
): RecommendationScores[] {
  return results.map(({ model, scores, latencyMs }) => {
    const message: RecommendationScores = {
      request_id: event.request.request_id,
      user_id: event.request.user_id,
      event_time: event.request.event_time,
      model_name: model.name,
      model_version: model.version,
      feature_set_version: event.features.version,
      scores: Array.from(scores).slice(0, event.features.candidates.length),
      shadow: model.shadow,
      latency_ms: latencyMs,
      scored_at: scoredAt,
    };
    const problem = recommendationScoresProblem(message);
    if (problem) throw new InvalidRequestError(`${model.ref}: ${problem}`);
    return message;
  });
}
