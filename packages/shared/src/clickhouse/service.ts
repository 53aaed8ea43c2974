import type { ClickHouseClient } from '@clickhouse/client';
import { configAudit, recordAudit } from '../audit/audit.js';
import type { Shutdown } from '../lifecycle/shutdown.js';
import type { Logger } from '../logging/logger.js';
import { type ClickHouseTarget, createClickHouse } from './client.js';
import { migrate } from './migrations.js';

/**
 * How a service that writes or reads the pipeline's tables starts on ClickHouse: the migrations
 * applied, a client closed at shutdown, and its configuration recorded in audit_log.
 */
export async function serviceClickHouse(options: {
  config: ClickHouseTarget & { CLICKHOUSE_DATABASE: string; SERVICE_NAME: string };
  /** What is audited as the service's configuration (default `config`): leave out what is not a setting. */
  settings?: object;
  logger: Logger;
  shutdown: Shutdown;
  /** ClickHouse threads per query, for background readers beside a latency-bound pipeline. */
  maxThreads?: number;
}): Promise<ClickHouseClient> {
  const { config, logger, shutdown } = options;
  await migrate({ url: config, database: config.CLICKHOUSE_DATABASE, logger });
  const clickhouse = createClickHouse(
    config,
    config.CLICKHOUSE_DATABASE,
    options.maxThreads === undefined ? {} : { maxThreads: options.maxThreads },
  );
  shutdown.onShutdown('clickhouse', () => clickhouse.close());
  await recordAudit(clickhouse, configAudit(config.SERVICE_NAME, options.settings ?? config));
  return clickhouse;
}
