import { ModelContractError } from '../errors.js';
import type { ModelMetadata } from './types.js';

/** What a model's input contract is checked against: the feature set the scorer serves. */
export interface FeatureSetLike {
  readonly name: string;
  readonly version: number;
  readonly names: readonly string[];
}

/** The error refusing the model, or undefined when its input contract is the feature set's. */
export function checkContract(meta: ModelMetadata, set: FeatureSetLike): ModelContractError | undefined {
  const ref = `${meta.name}@${meta.version}`;
  const fs = meta.feature_set;
  if (!fs || fs.name !== set.name || fs.version !== set.version) {
    return new ModelContractError(
      `${ref} was trained on feature set ${fs?.name} v${fs?.version}; the scorer serves ${set.name} v${set.version}`,
    );
  }
  if (!Array.isArray(fs.names) || fs.names.length !== set.names.length) {
    return new ModelContractError(
      `${ref} expects ${fs.names?.length} inputs; ${set.name} v${set.version} has ${set.names.length}`,
    );
  }
  const at = fs.names.findIndex((n, i) => n !== set.names[i]);
  if (at >= 0) {
    return new ModelContractError(
      `${ref} input ${at} is ${fs.names[at]}; ${set.name} v${set.version} has ${set.names[at]} there`,
    );
  }
  if (!Array.isArray(meta.reference_vector) || meta.reference_vector.length !== set.names.length) {
    return new ModelContractError(`${ref} has no reference vector of ${set.names.length} values`);
  }
  return undefined;
}
