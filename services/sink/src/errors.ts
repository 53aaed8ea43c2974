import { PipelineError } from '@pipeline/shared';

/** A record the sink cannot store, for a reason in the record itself: it goes to the dead-letter topic. */
export class RowRejectedError extends PipelineError {}

/** Stopping while rows still waited for ClickHouse: the batch is not committed and comes again. */
export class SinkClosedError extends PipelineError {
  constructor(message: string) {
    super(message, { retriable: true });
  }
}
