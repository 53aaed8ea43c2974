import type { EnrichedTransaction, Score } from '@pipeline/topology';
import { FeatureSetMismatchError, ScoreMismatchError } from './errors.js';

/** What the engine needs of a feature set: `names` in the order of EnrichedTransaction.features.values. */
export interface FeatureSetLike {
  readonly name: string;
  readonly version: number;
  readonly names: readonly string[];
}

/** The error that dead-letters the event, or undefined when its vector fits the feature set. */
export function checkEnriched(event: EnrichedTransaction, set: FeatureSetLike): FeatureSetMismatchError | undefined {
  const { feature_set, version, values } = event.features;
  if (feature_set !== set.name || version !== set.version) {
    return new FeatureSetMismatchError(
      `feature set ${feature_set} v${version} is not ${set.name} v${set.version} that the rules are written against`,
    );
  }
  if (values.length !== set.names.length) {
    return new FeatureSetMismatchError(
      `feature vector has ${values.length} values; ${set.name} v${set.version} declares ${set.names.length}`,
    );
  }
  return undefined;
}

export function checkScore(score: Score, set: FeatureSetLike): ScoreMismatchError | undefined {
  if (score.feature_set_version === set.version) return undefined;
  return new ScoreMismatchError(
    `score of ${score.model_name} ${score.model_version} is on feature-set version ${score.feature_set_version}, not ${set.version}`,
  );
}
