/**
 * How the sink tells a row ClickHouse refuses from a ClickHouse that is down, slow or misconfigured.
 * Only the first kind is the row's fault (find it, dead-letter it); the others are retried with
 * back-off until they pass, and nothing is dead-lettered for them.
 */

/**
 * Server error codes that say nothing about the rows: overload, timeouts, read-only, too many parts,
 * or a table, column or database that is missing (a deployment problem, fixed by a migration, never
 * by dropping data). Numbers from ClickHouse's ErrorCodes.cpp, stable across versions.
 */
const NOT_THE_ROWS = new Set([
  3, // UNEXPECTED_END_OF_FILE: the request body was cut
  16, // NO_SUCH_COLUMN_IN_TABLE
  47, // UNKNOWN_IDENTIFIER
  60, // UNKNOWN_TABLE
  81, // UNKNOWN_DATABASE
  159, // TIMEOUT_EXCEEDED
  164, // READONLY
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

/**
 * The ClickHouse error code of a server answer, or undefined when the server did not answer (refused,
 * reset, timed out). Current servers give it as `code` on ClickHouseError; 18.16's answer is not
 * recognised by the client, so the code is read from the message ("Code: 131, e.displayText() ...").
 */
export function serverErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const message = error instanceof Error ? error.message : String(error);
  const match = /^Code: (\d+)[.,]/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** True when the rows themselves are at fault: the insert is split to find them. */
export function isRowError(error: unknown): boolean {
  const code = serverErrorCode(error);
  return code !== undefined && !NOT_THE_ROWS.has(code);
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Exponential back-off, capped, with jitter in the upper half so instances do not retry in step. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
