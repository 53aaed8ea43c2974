/**
 * Batch scoring's plain data: what a reader yields (rows and rejects), what the runner hands a
 * writer (scores), and the writer and reject-file interfaces the runner waits on (back-pressure).
 */

/** One input row: the event id and its vector in the feature set's order (NaN where missing). */
export interface InputRow {
  eventId: string;
  values: number[];
}

/** A row that cannot be scored, with where it was (`line 7` of a file, `row 7` of a query) and why. */
export interface Reject {
  where: string;
  eventId: string | null;
  reason: string;
}

export type InputRecord = { row: InputRow } | { reject: Reject };

export interface BatchInput {
  /** Human name for messages and the run id: the file or `query`. */
  readonly source: string;
  /** Rows in order; iteration is paused while the runner waits, so a reader never runs ahead. */
  records(): AsyncIterable<InputRecord>;
  /** How much of the input has been read, 0 to 1, when known (for the ETA). */
  fraction(): number | undefined;
}

/** One score, as the stream's `scores` topic carries it, less what a batch input lacks (customer, time). */
export interface BatchScore {
  event_id: string;
  model_name: string;
  model_version: string;
  feature_set: string;
  feature_set_version: number;
  score: number;
  contributions: { feature: string; value: number }[];
}

export interface BatchOutput {
  readonly target: string;
  /** Resolves once the scores are written (or buffered within the writer's bound). */
  write(scores: readonly BatchScore[]): Promise<void>;
  /** Writes what is buffered and makes the output complete. */
  close(): Promise<void>;
  /** Gives up after a failure: nothing half-written is left looking complete. */
  abort(): Promise<void>;
}

export interface RejectSink {
  write(reject: Reject): Promise<void>;
  close(): Promise<void>;
  /** Where rejects went, or null when there were none. */
  readonly path: string | null;
}
