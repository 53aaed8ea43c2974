/**
 * Every error the shared library throws. Callers branch with `instanceof` and restart only when
 * `retriable` is true; a non-retriable message error sends that message to the dead-letter topic.
 */
export class PipelineError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** Bad or missing configuration: the service stops at start. `variables` names what to fix. */
export class ConfigError extends PipelineError {
  constructor(
    readonly variables: string[],
    message: string,
  ) {
    super(message);
  }
}

/** Bytes that are not a Confluent-framed Avro message of the schema they claim. Never retriable. */
export class MalformedMessageError extends PipelineError {}

/** The message names a schema id the registry does not know. Never retriable. */
export class UnknownSchemaError extends PipelineError {
  constructor(
    readonly schemaId: number,
    options: { cause?: unknown } = {},
  ) {
    super(`schema id ${schemaId} is not known to the schema registry`, options);
  }
}

/** The registry could not be reached or answered 5xx. Retriable: nothing is wrong with the message. */
export class RegistryUnavailableError extends PipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** The registry refused a schema because it breaks the subject's compatibility rule. */
export class SchemaIncompatibleError extends PipelineError {
  constructor(
    readonly subject: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** A value does not fit the schema it is being written with (a bug in the producer, not in the data). */
export class SchemaValidationError extends PipelineError {
  constructor(
    readonly schemaName: string,
    readonly paths: string[],
  ) {
    super(`value does not match schema ${schemaName}: invalid at ${paths.join(', ') || '(root)'}`);
  }
}

/**
 * A handler's `settled` rejects with this for a batch it dropped unfinished at a rebalance: not a
 * failure, the partition is consumed again from its last commit by whichever member owns it next.
 */
export class AbandonedBatchError extends PipelineError {
  constructor() {
    super('batch dropped at a rebalance; consumed again from the last commit');
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
