import { PipelineError } from '@pipeline/shared';

/** Every error of the feature service. */
export class FeatureServiceError extends PipelineError {}

/** The event breaks the input contract (ids, amount, time): dead-lettered with this reason. */
export class BadInputError extends FeatureServiceError {}

/** The event is older than the allowed lateness behind its partition's watermark: dead-lettered. */
export class LateEventError extends FeatureServiceError {
  constructor(
    readonly lateByMs: number,
    allowedMs: number,
  ) {
    super(
      `late event: ${lateByMs} ms behind the partition's watermark minus lateness (allowed lateness ${allowedMs} ms)`,
    );
  }
}

/**
 * A redelivered event whose first result is no longer stored (older than the id retention): its
 * state update is not repeated, and its vector cannot be reproduced. Dead-lettered.
 */
export class ExpiredDuplicateError extends FeatureServiceError {}

/** What the scripts return, as a typed enum. */
export enum ScriptStatus {
  ExpiredDuplicate = -1,
  Unknown = 0,
  Applied = 1,
  Duplicate = 2,
  Read = 3,
}
