import { type ClickHouseClient, identifier, type Logger, sql } from '@pipeline/shared';

const DAY_MS = 86_400_000;

export interface Partition {
  table: string;
  /** The partition value, toYYYYMMDD of the row's date: '20260101'. */
  partition: string;
}

/** UTC date as YYYYMMDD. */
function yyyymmdd(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** Midnight UTC of a YYYYMMDD date. */
function midnight(date: number): number {
  return Date.UTC(Math.floor(date / 10_000), (Math.floor(date / 100) % 100) - 1, date % 100);
}

const daily = (p: Partition) => /^\d{8}$/.test(p.partition);

/**
 * The daily partitions more than `days` days before their table's newest data (or before `now`'s
 * date, if that is earlier): with 30 days and data up to 2026-03-31, the partition of 2026-02-28
 * goes and that of 2026-03-01 stays. Event time, not the wall clock, so a backfill of old events
 * keeps its data; capped at `now`, so a row dated in the future does not expire the rest. Anything
 * not a YYYYMMDD partition is kept.
 */
export function partitionsToDrop(partitions: readonly Partition[], now: number, days: number): Partition[] {
  const newest = new Map<string, number>();
  for (const p of partitions.filter(daily)) {
    newest.set(p.table, Math.max(newest.get(p.table) ?? 0, Number(p.partition)));
  }
  return partitions.filter((p) => {
    if (!daily(p)) return false;
    const upTo = Math.min(now, midnight(newest.get(p.table) as number));
    return Number(p.partition) < yyyymmdd(upTo - days * DAY_MS);
  });
}

/** Drops the expired daily partitions of `tables` in the client's database; returns what it dropped. */
export async function applyRetention(
  client: ClickHouseClient,
  tables: readonly string[],
  days: number,
  now = Date.now(),
): Promise<Partition[]> {
  const result = await client.query({
    query: sql`SELECT DISTINCT table, partition FROM system.parts WHERE database = currentDatabase() AND active AND has(${tables}, table)`,
    format: 'JSONEachRow',
  });
  const expired = partitionsToDrop(await result.json<Partition>(), now, days);
  for (const p of expired) {
    // A literal, not PARTITION ID: 18.16 and current servers both accept the partition key's value.
    await client.command({ query: sql`ALTER TABLE ${identifier(p.table)} DROP PARTITION ${Number(p.partition)}` });
  }
  return expired;
}

/** Runs retention now and then every `intervalMs`; a failed run is logged and tried again next time. */
export function startRetention(options: {
  client: ClickHouseClient;
  tables: readonly string[];
  days: number;
  intervalMs: number;
  logger: Logger;
}): { stop(): void } {
  const { client, tables, days, intervalMs, logger } = options;
  const run = async () => {
    try {
      const dropped = await applyRetention(client, tables, days);
      if (dropped.length > 0) logger.info({ dropped, days }, 'retention dropped old partitions');
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'retention run failed; next run will retry');
    }
  };
  void run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
