import type { Logger } from '../logging/logger.js';
import type { ClickHouseClient } from './client.js';
import { identifier, sql } from './sql.js';

const DAY_MS = 86_400_000;

export interface Partition {
  table: string;
  /** The partition value: toYYYYMMDD of the row's date, '20260101', or toYYYYMM, '202601'. */
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

/** The last day (YYYYMMDD) a daily (YYYYMMDD) or monthly (YYYYMM) partition holds; null for any other. */
export function lastDay(partition: string): number | null {
  if (/^\d{8}$/.test(partition)) return Number(partition);
  if (!/^\d{6}$/.test(partition)) return null;
  const month = Number(partition);
  // Day 0 of the next month is the last day of this one.
  return yyyymmdd(Date.UTC(Math.floor(month / 100), month % 100, 0));
}

/**
 * The daily (or monthly) partitions whose last day is more than `days` days before their table's
 * newest data (or before `now`'s date, if that is earlier): with 30 days and data up to 2026-03-31,
 * the partition of 2026-02-28 goes and that of 2026-03-01 stays; a month goes once its last day
 * would. Event time, not the wall clock, so a backfill of old events keeps its data; capped at
 * `now`, so a row dated in the future does not expire the rest. Any other partition is kept.
 */
export function partitionsToDrop(partitions: readonly Partition[], now: number, days: number): Partition[] {
  const newest = new Map<string, number>();
  for (const p of partitions) {
    const last = lastDay(p.partition);
    if (last !== null) newest.set(p.table, Math.max(newest.get(p.table) ?? 0, last));
  }
  return partitions.filter((p) => {
    const last = lastDay(p.partition);
    if (last === null) return false;
    const upTo = Math.min(now, midnight(newest.get(p.table) as number));
    return last < yyyymmdd(upTo - days * DAY_MS);
  });
}

/** A partition as system.parts tells it: how many active parts, and the lowest merge level among them. */
export interface PartitionParts extends Partition {
  parts: number | string;
  min_level: number | string;
}

/**
 * The partitions to settle: those before their table's newest, which no longer take new rows (but
 * for a replay), that may still hold copies of a row: several parts, or one part as inserted
 * (level 0). A ReplacingMergeTree collapses copies only when it merges, so once such a partition
 * is merged into one part it can be read without FINAL (the console does).
 */
export function partitionsToSettle(partitions: readonly PartitionParts[]): Partition[] {
  const newest = new Map<string, number>();
  for (const p of partitions) {
    const last = lastDay(p.partition);
    if (last !== null) newest.set(p.table, Math.max(newest.get(p.table) ?? 0, last));
  }
  return partitions
    .filter((p) => {
      const last = lastDay(p.partition);
      const settled = Number(p.parts) === 1 && Number(p.min_level) > 0;
      return last !== null && last < (newest.get(p.table) as number) && !settled;
    })
    .map(({ table, partition }) => ({ table, partition }));
}

async function partitionsOf(client: ClickHouseClient, tables: readonly string[]): Promise<PartitionParts[]> {
  const result = await client.query({
    query: sql`SELECT table, partition, count() AS parts, min(level) AS min_level FROM system.parts WHERE database = currentDatabase() AND active AND has(${tables}, table) GROUP BY table, partition`,
    format: 'JSONEachRow',
  });
  return result.json<PartitionParts>();
}

/** Merges each partition to settle into one part (OPTIMIZE ... FINAL); returns what it settled. */
export async function settlePartitions(client: ClickHouseClient, tables: readonly string[]): Promise<Partition[]> {
  const settle = partitionsToSettle(await partitionsOf(client, tables));
  for (const p of settle) {
    await client.command({
      query: sql`OPTIMIZE TABLE ${identifier(p.table)} PARTITION ${Number(p.partition)} FINAL`,
    });
  }
  return settle;
}

/** Drops the expired partitions of `tables` in the client's database; returns what it dropped. */
export async function applyRetention(
  client: ClickHouseClient,
  tables: readonly string[],
  days: number,
  now = Date.now(),
): Promise<Partition[]> {
  const expired = partitionsToDrop(await partitionsOf(client, tables), now, days);
  for (const p of expired) {
    // A literal, not PARTITION ID: 18.16 and current servers both accept the partition key's value.
    await client.command({ query: sql`ALTER TABLE ${identifier(p.table)} DROP PARTITION ${Number(p.partition)}` });
  }
  return expired;
}

/**
 * Runs retention now and then every `intervalMs`, then (with `settle`) settles the partitions left;
 * a failed run is logged and tried again next time.
 */
export function startRetention(options: {
  client: ClickHouseClient;
  tables: readonly string[];
  days: number;
  intervalMs: number;
  settle?: boolean;
  logger: Logger;
}): { stop(): void } {
  const { client, tables, days, intervalMs, settle = false, logger } = options;
  const run = async () => {
    try {
      const dropped = await applyRetention(client, tables, days);
      if (dropped.length > 0) logger.info({ dropped, days }, 'retention dropped old partitions');
      if (!settle) return;
      const settled = await settlePartitions(client, tables);
      if (settled.length > 0) logger.info({ settled }, 'retention settled closed partitions');
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'retention run failed; next run will retry');
    }
  };
  void run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
