import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import type { FeatureSetLike } from './registry/contract.js';

/**
 * What the scorer serves per use case, declared: the feature set its models are checked against and
 * whose alias scope names its champion and shadows (registry/scopes.ts), and the shape of its input:
 * `events`, one vector per event scored in shared micro-batches (scorer.ts); `candidates`, one
 * vector per candidate of a request, a request scored as one micro-batch (candidates-scorer.ts).
 */
export const SCORER_USE_CASES = {
  fraud: { featureSet: fraudFeatureSet, input: 'events' },
  recsys: { featureSet: recsysFeatureSet, input: 'candidates' },
} as const satisfies Record<string, { featureSet: FeatureSetLike; input: 'events' | 'candidates' }>;

export type ScorerUseCase = keyof typeof SCORER_USE_CASES;
export const USE_CASE_NAMES = Object.keys(SCORER_USE_CASES) as ScorerUseCase[];
