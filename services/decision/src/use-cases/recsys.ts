import { MalformedMessageError } from '@pipeline/shared';
import {
  type EnrichedRequest,
  enrichedRequestProblem,
  type Recommendation,
  type RecommendationScores,
  recommendationScoresProblem,
} from '@pipeline/topology';
import { scoreMatches } from '../decide.js';
import { FeatureSetMismatchError, ScoreMismatchError } from '../errors.js';
import { assignVariant } from '../experiment.js';
import type { FeatureSetLike } from '../feature-set.js';
import { KEY_TAGS } from '../keys.js';
import { type RankingPolicy, type RankingVariant, variantPolicy } from '../ranking/policy.js';
import { rank } from '../ranking/rank.js';
import type { DecisionUseCase, JoinRefs } from '../use-case.js';

export type RecsysUseCase = DecisionUseCase<EnrichedRequest, RecommendationScores, Recommendation, RankingPolicy>;

/** Requests and their scores name the request by `request_id`, keyed by user. */
export const recsysRefs: JoinRefs<RecommendationScores, Recommendation> = {
  score: (s) => ({ entityId: s.user_id, eventId: s.request_id, model: s.model_name, version: s.model_version }),
  decision: (d) => ({ entityId: d.user_id, eventId: d.request_id, path: d.path }),
};

/** The error that dead-letters an enriched request, or undefined: valid, with vectors of `set`. */
export function checkRequest(event: EnrichedRequest, set: FeatureSetLike): Error | undefined {
  const problem = enrichedRequestProblem(event);
  if (problem) return new MalformedMessageError(problem);
  const { feature_set, version, candidates } = event.features;
  if (feature_set !== set.name || version !== set.version)
    return new FeatureSetMismatchError(
      `feature set ${feature_set} v${version} is not ${set.name} v${set.version} that the policy is written against`,
    );
  // enrichedRequestProblem holds every vector to the first one's length.
  const width = candidates[0]?.values.length ?? 0;
  if (width !== set.names.length)
    return new FeatureSetMismatchError(
      `candidate vectors have ${width} values; ${set.name} v${set.version} declares ${set.names.length}`,
    );
  return undefined;
}

/** The error that dead-letters a request's scores, or undefined. */
export function checkRequestScores(scores: RecommendationScores, set: FeatureSetLike): Error | undefined {
  const problem = recommendationScoresProblem(scores);
  if (problem) return new MalformedMessageError(problem);
  if (scores.feature_set_version !== set.version)
    return new ScoreMismatchError(
      `scores of ${scores.model_name} ${scores.model_version} are on feature-set version ${scores.feature_set_version}, not ${set.version}`,
    );
  return undefined;
}

/** The error that dead-letters scores that cannot rank this request: one score per candidate. */
export function checkScoresFit(event: EnrichedRequest, scores: RecommendationScores): Error | undefined {
  const candidates = event.features.candidates.length;
  if (scores.scores.length === candidates) return undefined;
  return new ScoreMismatchError(
    `scores of ${scores.model_name} ${scores.model_version} for request ${scores.request_id}: ${scores.scores.length} scores, the request has ${candidates} candidates`,
  );
}

/** The user's variant of the policy's experiment: the function fraud assigns customers with, by user id. */
export function recsysVariant(policy: RankingPolicy, event: EnrichedRequest): RankingVariant {
  return assignVariant(policy.experiment, event.request.user_id);
}

/**
 * One recommendation from plain data: the request's candidates ranked by its user's variant of the
 * policy with that variant's scores (the champion's, or its model's), or (`scores` null: they missed
 * the budget) on the variant's fallback order.
 */
export function recommend(input: {
  policy: RankingPolicy;
  event: EnrichedRequest;
  scores: RecommendationScores | null;
  now: number;
}): Recommendation {
  const { event, scores, now } = input;
  const { request } = event;
  const variant = recsysVariant(input.policy, event);
  const policy = variantPolicy(input.policy, variant);
  const candidates = event.features.candidates.map((c, i) => ({
    item_id: c.item_id,
    category: c.category,
    values: c.values,
    score: scores?.scores[i] ?? null,
  }));
  const ranking = rank(policy, candidates, request.k, request.request_id);
  return {
    request_id: request.request_id,
    user_id: request.user_id,
    event_time: request.event_time,
    items: ranking.items,
    path: scores ? 'MODEL_AND_RULES' : 'RULES_ONLY',
    rule_set_version: policy.version,
    model_name: scores?.model_name ?? null,
    model_version: scores?.model_version ?? null,
    feature_set_version: event.features.version,
    experiment_variant: variant.name,
    decided_at: now,
  };
}

/** Recommendations: an enriched request joined with its variant's scores, ranked by the variant's policy. */
export function recsysUseCase(policies: { current(): RankingPolicy }, featureSet: FeatureSetLike): RecsysUseCase {
  return {
    name: 'recsys',
    schemas: { enriched: 'recsys/enriched-request', score: 'recsys/score', decision: 'recsys/recommendation' },
    keyTag: KEY_TAGS.user,
    refs: recsysRefs,
    event: (e) => ({ entityId: e.request.user_id, eventId: e.request.request_id }),
    checkEvent: (e) => checkRequest(e, featureSet),
    checkScore: (s) => checkRequestScores(s, featureSet),
    checkPair: checkScoresFit,
    policy: () => policies.current(),
    // The variant's scores rank (the champion's, or its model's); the others are logged by the sink.
    // Scores of another candidate count never rank (dead-lettered when they meet their request here).
    assign(event, policy) {
      const variant = recsysVariant(policy, event);
      return { matches: (s) => scoreMatches(variant, s) && checkScoresFit(event, s) === undefined };
    },
    decide: ({ event, score, policy, now }) => recommend({ policy, event, scores: score, now }),
    key: (d) => d.user_id,
    attributes: (d) => ({ path: d.path, variant: d.experiment_variant }),
  };
}
