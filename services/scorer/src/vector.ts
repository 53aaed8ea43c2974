import type { EnrichedTransaction } from '@pipeline/topology';
import { VectorMismatchError } from './errors.js';
import type { FeatureSetLike } from './registry/contract.js';

/** The error that dead-letters the event, or undefined when its vector is the served feature set's. */
export function checkVector(event: EnrichedTransaction, set: FeatureSetLike): VectorMismatchError | undefined {
  const { feature_set, version, values } = event.features;
  if (feature_set !== set.name || version !== set.version) {
    return new VectorMismatchError(
      `feature set ${feature_set} v${version} is not ${set.name} v${set.version} that the models are trained on`,
    );
  }
  if (values.length !== set.names.length) {
    return new VectorMismatchError(
      `feature vector has ${values.length} values; ${set.name} v${set.version} declares ${set.names.length}`,
    );
  }
  return undefined;
}

/** Packs rows into one row-major Float32Array (NaN stays NaN: the models handle missing values). */
export function packRows(rows: readonly (readonly number[])[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    out.set(row, i * width);
  });
  return out;
}
