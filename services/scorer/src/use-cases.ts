import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import type { FeatureSetLike } from './registry/contract.js';

/**
 * What the scorer serves per use case, declared: the feature set its models are checked against and
 * whose alias scope names its champion and shadows (registry/scopes.ts), and whether its models are
 * loaded to explain scores (contributions). How each one's events are checked and scored is its
 * declaration in use-cases/ (fraud.ts: one vector per event, in shared micro-batches; recsys.ts: one
 * vector per candidate of a request, a request one micro-batch), run by scoring-consumer.ts.
 */
export const SCORER_USE_CASES = {
  fraud: { featureSet: fraudFeatureSet, explain: true },
  recsys: { featureSet: recsysFeatureSet, explain: false },
} as const satisfies Record<string, { featureSet: FeatureSetLike; explain: boolean }>;

export type ScorerUseCase = keyof typeof SCORER_USE_CASES;
export const USE_CASE_NAMES = Object.keys(SCORER_USE_CASES) as ScorerUseCase[];
