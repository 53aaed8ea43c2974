import { PipelineError } from '@pipeline/shared';

/** A rule file that does not parse or validate; `line` and `column` are 1-based, 0 when unknown. */
export class RuleFileError extends PipelineError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`rule file ${file}: line ${line}, column ${column}: ${reason}`);
  }
}

/** An enriched event whose feature vector is not the feature set this engine decides with: dead-lettered. */
export class FeatureSetMismatchError extends PipelineError {}

/** A score computed on another feature-set version than the engine's: dead-lettered, never decides. */
export class ScoreMismatchError extends PipelineError {}
