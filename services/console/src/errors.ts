import { PipelineError } from '@pipeline/shared';

/** A request the console refuses: `status` is the HTTP status (4xx), the message says why, for the user. */
export class RequestError extends PipelineError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A server the page needs (ClickHouse, Kafka) did not answer: 503 with what is missing; worth retrying. */
export class UnavailableError extends PipelineError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: true, cause });
  }
}
