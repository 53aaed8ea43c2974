import { PipelineError } from '@pipeline/shared';

/** Root of the scorer's errors; callers branch with `instanceof`, restart only on `retriable`. */
export class ScorerError extends PipelineError {}

/** A model reference, alias or registry file that does not exist or does not parse. */
export class RegistryError extends ScorerError {}

/** The registry's alias file is locked by another writer for longer than the wait allows: try again. */
export class RegistryBusyError extends RegistryError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** A model whose input contract does not fit the feature set being served: refused, never loaded. */
export class ModelContractError extends ScorerError {}

/** A model file that is missing, does not match its checksum, or that onnxruntime cannot load or run. */
export class ModelLoadError extends ScorerError {}

/** An enriched event whose vector does not fit the feature set the models expect: dead-lettered. */
export class VectorMismatchError extends ScorerError {}

/** A request whose candidates cannot be scored (invalid request, or a model's scores not finite): dead-lettered. */
export class InvalidRequestError extends ScorerError {}

/** Bad command-line arguments (exit 2). */
export class UsageError extends ScorerError {}

/**
 * A batch run that cannot start: an input it cannot read at all (a header without a feature column, a
 * query without `event_id`) or an output table without the batch_scores columns. A bad row is not
 * this: it goes to the reject file and the run goes on.
 */
export class BatchError extends ScorerError {}
