import { PipelineError } from '@pipeline/shared';

/** A retraining trigger that decodes but cannot be acted on (unknown model, empty window): dead-lettered. */
export class InvalidTriggerError extends PipelineError {}

/** The reference trainer could not run or failed; the retraining is recorded as FAILED. */
export class TrainerError extends PipelineError {}
