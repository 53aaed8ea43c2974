import {
  applyRetention,
  type ClickHouseClient,
  createClickHouse,
  createLogger,
  identifier,
  migrate,
  readMigrations,
  settlePartitions,
  sql,
} from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDecisions } from '../src/tables/decisions.js';
import { insertLabels } from '../src/tables/labels.js';

const DAY = 86_400_000;

/** ALTER ... DELETE runs in the background: waits until no mutation of the database is pending. */
async function waitForMutations(client: ClickHouseClient): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pending = await client.query({
      query: 'SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND is_done = 0',
      format: 'JSONEachRow',
    });
    if ((await pending.json<{ n: string }>())[0]?.n === '0') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('mutations still pending');
}
const logger = createLogger('sink-test', 'silent');

describe('migrations and retention on the real ClickHouse', () => {
  const database = uniqueName('sink_retention');
  let client: ClickHouseClient;
  beforeAll(() => {
    client = createClickHouse(servers(), database);
  });
  afterAll(async () => {
    await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await client.close();
  });

  it('applies every migration once, and a second start applies none', async () => {
    const first = await migrate({ url: servers(), database, logger });
    expect(first.applied).toEqual(readMigrations().map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`));
    expect((await migrate({ url: servers(), database, logger })).applied).toEqual([]);
    const result = await client.query({ query: 'SELECT count() AS n FROM schema_migrations', format: 'JSONEachRow' });
    expect(await result.json()).toEqual([{ n: String(first.applied.length) }]);
  });

  it('applies a migration again after a start that died before recording it (ADD COLUMN included)', async () => {
    await client.command({ query: 'ALTER TABLE schema_migrations DELETE WHERE version = 5' });
    await waitForMutations(client);
    expect((await migrate({ url: servers(), database, logger })).applied).toEqual(['0005_label_transaction_time']);
    const columns = await client.query({
      query: sql`SELECT type FROM system.columns WHERE database = ${database} AND table = 'labels' AND name = 'transaction_time_ms'`,
      format: 'JSONEachRow',
    });
    expect(await columns.json()).toEqual([{ type: 'Nullable(UInt64)' }]);
  });

  it('drops the daily partitions older than the retention and keeps the rest', async () => {
    const now = Date.now();
    const ages = [0, 10, 29, 31, 45];
    await insertDecisions(
      client,
      ages.map((age) => ({
        event_id: `e-${age}`,
        customer_id: 'C1',
        event_time: Math.floor((now - age * DAY) / 1000),
        action: 'APPROVE',
        reason_codes: [],
        score: 0.1,
        path: 'MODEL_AND_RULES',
        rule_set_version: 'r1',
        model_name: 'gbt',
        model_version: '3',
        feature_set_version: 1,
        experiment_variant: 'control',
        decided_at: Math.floor((now - age * DAY) / 1000),
        decided_at_ms: now - age * DAY,
      })),
    );
    await insertLabels(client, [
      {
        transaction_id: 'e-45',
        customer_id: 'C1',
        terminal_id: 'T1',
        is_fraud: true,
        label_time: Math.floor((now - 40 * DAY) / 1000),
        label_time_ms: now - 40 * DAY,
        transaction_time_ms: now - 45 * DAY,
      },
      {
        transaction_id: 'e-10',
        customer_id: 'C1',
        terminal_id: 'T1',
        is_fraud: false,
        label_time: Math.floor(now / 1000),
        label_time_ms: now,
        transaction_time_ms: now - 10 * DAY,
      },
    ]);
    const dropped = await applyRetention(client, ['decisions', 'labels', 'scores'], 30, now);
    expect(dropped.map((p) => p.table).sort()).toEqual(['decisions', 'decisions', 'labels']);
    const left = await client.query({
      query: 'SELECT event_id FROM decisions FINAL ORDER BY event_id',
      format: 'JSONEachRow',
    });
    expect(await left.json()).toEqual([{ event_id: 'e-0' }, { event_id: 'e-10' }, { event_id: 'e-29' }]);
    const labels = await client.query({ query: 'SELECT transaction_id FROM labels', format: 'JSONEachRow' });
    expect(await labels.json()).toEqual([{ transaction_id: 'e-10' }]);
    // Nothing more to drop on a second run.
    expect(await applyRetention(client, ['decisions', 'labels', 'scores'], 30, now)).toEqual([]);
  });

  it('keeps every row of a backfill of two-year-old events', async () => {
    const backfill = uniqueName('sink_backfill');
    await migrate({ url: servers(), database: backfill, logger });
    const old = createClickHouse(servers(), backfill);
    try {
      const start = Date.now() - 730 * DAY;
      await insertDecisions(
        old,
        Array.from({ length: 60 }, (_, day) => ({
          event_id: `b-${day}`,
          customer_id: 'C1',
          event_time: Math.floor((start + day * DAY) / 1000),
          action: 'APPROVE',
          reason_codes: [],
          score: 0.1,
          path: 'MODEL_AND_RULES',
          rule_set_version: 'r1',
          model_name: 'gbt',
          model_version: '3',
          feature_set_version: 1,
          experiment_variant: 'control',
          decided_at: Math.floor(Date.now() / 1000),
          decided_at_ms: Date.now(),
        })),
      );
      expect(await applyRetention(old, ['decisions'], 400)).toEqual([]);
      const count = await old.query({ query: 'SELECT count() AS n FROM decisions', format: 'JSONEachRow' });
      expect(await count.json()).toEqual([{ n: '60' }]);
    } finally {
      await old.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(backfill)}` });
      await old.close();
    }
  });

  it('settles closed days into one merged part, so each decision is there once without FINAL', async () => {
    const settling = uniqueName('sink_settle');
    await migrate({ url: servers(), database: settling, logger });
    const db = createClickHouse(servers(), settling);
    const count = async (query: string) =>
      Number(((await (await db.query({ query, format: 'JSONEachRow' })).json()) as { n: string }[])[0]?.n);
    try {
      const today = Math.floor(Date.now() / DAY) * DAY;
      const decision = (id: string, ms: number) => ({
        event_id: id,
        customer_id: 'C1',
        event_time: Math.floor(ms / 1000),
        action: 'APPROVE' as const,
        reason_codes: [],
        score: 0.1,
        path: 'MODEL_AND_RULES' as const,
        rule_set_version: 'r1',
        model_name: 'gbt',
        model_version: '3',
        feature_set_version: 1,
        experiment_variant: 'control',
        decided_at: Math.floor(ms / 1000),
        decided_at_ms: ms,
      });
      // Yesterday: one insert holding a redelivered copy (one part as inserted), then another part.
      await insertDecisions(db, [decision('y1', today - DAY + 1_000), decision('y1', today - DAY + 1_000)]);
      await insertDecisions(db, [decision('y2', today - DAY + 2_000)]);
      // Today: still taking rows, left alone.
      await insertDecisions(db, [decision('t1', today + 1_000), decision('t1', today + 1_000)]);
      expect(await count('SELECT count() AS n FROM decisions')).toBe(5);

      const settled = await settlePartitions(db, ['decisions']);
      expect(settled.map((p) => p.partition)).toHaveLength(1);
      const parts = await db.query({
        query:
          "SELECT partition, count() AS parts, min(level) AS level FROM system.parts WHERE database = currentDatabase() AND table = 'decisions' AND active GROUP BY partition ORDER BY partition",
        format: 'JSONEachRow',
      });
      const [yesterday, todays] = (await parts.json()) as { parts: string; level: number }[];
      expect(Number(yesterday?.parts)).toBe(1);
      expect(Number(yesterday?.level)).toBeGreaterThan(0);
      expect(Number(todays?.level)).toBe(0);
      expect(await count(`SELECT count() AS n FROM decisions WHERE event_time < toDateTime(${today / 1000})`)).toBe(2);
      // Settled days are not merged again.
      expect(await settlePartitions(db, ['decisions'])).toEqual([]);
    } finally {
      await db.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(settling)}` });
      await db.close();
    }
  });
});
