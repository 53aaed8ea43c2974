import { createClickHouse, createLogger, identifier, migrate, sql } from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRollup } from '../src/models/rollup.js';
import { createModelTrafficStore } from '../src/models/store.js';

const DAY1 = Date.UTC(2026, 2, 1) / 1000;
const DAY2 = DAY1 + 86_400;
const s = servers();
const database = uniqueName('console_rollup').replace(/[^a-z0-9_]/gi, '_');
const client = createClickHouse(s, database);
const logger = createLogger('rollup-test', 'error');

const score = (id: string, t: number, model: string, value: number, shadow: boolean) => ({
  event_id: id,
  customer_id: 'C1',
  event_time: t,
  model_name: 'fraud_gbdt',
  model_version: model,
  feature_set_version: 1,
  score: value,
  shadow: shadow ? 1 : 0,
  latency_ms: 1,
  scored_at: t,
  scored_at_ms: t * 1000 + 5,
  contribution_features: [],
  contribution_values: [],
});
const label = (id: string, t: number, fraud: boolean, at: number) => ({
  transaction_id: id,
  customer_id: 'C1',
  terminal_id: 'T1',
  is_fraud: fraud ? 1 : 0,
  label_time: at,
  label_time_ms: at * 1000,
  transaction_time_ms: t * 1000,
});
const insert = (table: string, values: object[]) => client.insert({ table, values, format: 'JSONEachRow' });

describe('the models rollup', () => {
  beforeAll(async () => {
    await migrate({ url: s, database, logger });
  });
  afterAll(async () => {
    await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await client.close();
  });

  it('rebuilds only the days whose scores changed or whose transactions got a label, and counts each score once', async () => {
    // Day 1: two events scored by the champion (@2) and a shadow (@3), one scored twice (a redelivery).
    await insert('scores', [
      score('a', DAY1 + 100, '2', 0.9, false),
      score('a', DAY1 + 100, '3', 0.2, true),
      score('b', DAY1 + 4_000, '2', 0.1, false),
      score('b', DAY1 + 4_000, '3', 0.3, true),
    ]);
    await insert('scores', [score('b', DAY1 + 4_000, '2', 0.1, false)]);
    const rollup = createModelRollup({ client, intervalMs: 60_000, logger });
    const store = createModelTrafficStore(client, async () => DAY2 + 10);
    try {
      expect(await rollup.run()).toEqual([20260301]);
      expect(await rollup.run()).toEqual([]);

      let live = await store.live(48, () => null);
      expect(live?.models.map((m) => [m.model, m.scored, m.deciding, m.performance])).toEqual([
        ['fraud_gbdt@2', 2, 2, null],
        ['fraud_gbdt@3', 2, 0, null],
      ]);
      expect(live?.agreement[0]).toMatchObject({
        deciding: 'fraud_gbdt@2',
        model: 'fraud_gbdt@3',
        n: 2,
        decidingOnly: 1,
      });
      expect(live?.agreement[0]?.meanAbsDiff).toBeCloseTo((0.7 + 0.2) / 2);
      // Two points on a line of slope -1 / 2: correlation -1.
      expect(live?.agreement[0]?.correlation).toBeCloseTo(-1);

      // A label arrives on day 2 for day 1's transaction a; day 2 gets its first score.
      await insert('labels', [label('a', DAY1 + 100, true, DAY2 + 50), label('b', DAY1 + 4_000, false, DAY2 + 60)]);
      await insert('scores', [score('c', DAY2 + 5, '2', 0.6, false)]);
      expect(await rollup.run()).toEqual([20260301, 20260302]);

      live = await store.live(48, () => null);
      const champion = live?.models.find((m) => m.model === 'fraud_gbdt@2');
      expect(champion).toMatchObject({ scored: 3, deciding: 3 });
      expect(champion?.performance).toMatchObject({ labelled: 2, frauds: 1, rocAuc: 1, precision: 1, recall: 1 });

      // A newer label flips a: the day is rebuilt and the newest label wins.
      await insert('labels', [label('a', DAY1 + 100, false, DAY2 + 70)]);
      expect(await rollup.run()).toEqual([20260301]);
      live = await store.live(48, () => null);
      expect(live?.models.find((m) => m.model === 'fraud_gbdt@2')?.performance).toMatchObject({
        labelled: 2,
        frauds: 0,
      });
    } finally {
      rollup.stop();
    }
  });
});
