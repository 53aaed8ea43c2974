import { readFileSync } from 'node:fs';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

export type { ClickHouseClient } from '@clickhouse/client';

/** Where ClickHouse is: CLICKHOUSE_URL (with the user and password) and the CA it is signed by. */
export interface ClickHouseTarget {
  CLICKHOUSE_URL: string;
  CLICKHOUSE_TLS_CA?: string | undefined;
}

/**
 * The official HTTP client, limited to what ClickHouse 18.16 understands: no query parameters (values
 * go through sql.ts), no settings newer servers alone know. Its own logging is off: errors are thrown.
 * `target` is a URL, or the parsed clickhouseVars (URL and CA).
 */
export function createClickHouse(
  target: string | ClickHouseTarget,
  database = 'default',
  options: { maxThreads?: number } = {},
): ClickHouseClient {
  const { CLICKHOUSE_URL: url, CLICKHOUSE_TLS_CA: ca } =
    typeof target === 'string' ? { CLICKHOUSE_URL: target } : target;
  return createClient({
    url,
    database,
    // The URL's user and password go in an Authorization header; a CA only matters for https.
    ...(ca && url.startsWith('https:') ? { tls: { ca_cert: readFileSync(ca) } } : {}),
    log: { level: ClickHouseLogLevel.OFF },
    request_timeout: 30_000,
    ...(options.maxThreads ? { clickhouse_settings: { max_threads: options.maxThreads } } : {}),
  });
}
