import { type ClickHouseClient, sql } from '@pipeline/shared';

export interface DeadLetterCount {
  service: string;
  errorType: string;
  count: number;
  /** The newest error text of this kind, as an example. */
  example: string;
}

/**
 * Dead letters since `sinceMs` by refusing service and reason (error type), from the sink's
 * dead_letters table. dead_lettered_at is the table's partition key (daily), so only today's (and
 * at most yesterday's) partitions are read; FINAL collapses redelivered dead letters.
 */
export function deadLettersSql(sinceMs: number, limit = 50): string {
  const since = Math.floor(sinceMs / 1000);
  return sql`SELECT service, error_type, count() AS n, argMax(error, dead_lettered_at_ms) AS example
FROM dead_letters FINAL
WHERE dead_lettered_at >= toDateTime(${since})
GROUP BY service, error_type
ORDER BY n DESC, service, error_type
LIMIT ${limit}`;
}

export function deadLetterCounts(
  rows: readonly { service: string; error_type: string; n: string | number; example: string }[],
): DeadLetterCount[] {
  return rows.map((r) => ({ service: r.service, errorType: r.error_type, count: Number(r.n), example: r.example }));
}

export async function readDeadLetters(client: ClickHouseClient, sinceMs: number): Promise<DeadLetterCount[]> {
  const result = await client.query({ query: deadLettersSql(sinceMs), format: 'JSONEachRow' });
  return deadLetterCounts(await result.json());
}
