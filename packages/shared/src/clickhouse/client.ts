import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

export type { ClickHouseClient } from '@clickhouse/client';

/**
 * The official HTTP client, limited to what ClickHouse 18.16 understands: no query parameters (values
 * go through sql.ts), no settings newer servers alone know. Its own logging is off: errors are thrown.
 */
export function createClickHouse(
  url: string,
  database = 'default',
  options: { maxThreads?: number } = {},
): ClickHouseClient {
  return createClient({
    url,
    database,
    log: { level: ClickHouseLogLevel.OFF },
    request_timeout: 30_000,
    ...(options.maxThreads ? { clickhouse_settings: { max_threads: options.maxThreads } } : {}),
  });
}
