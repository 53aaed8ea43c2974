import { recsysFeatureSet } from '@pipeline/feature-sets';
import { Random } from '@pipeline/loadtest';
import { literal, type SqlValue } from '@pipeline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './harness.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 4, 1);
const SHIFT_DAY = 5;
const CANDIDATES = 5;
const names = recsysFeatureSet.names;
const shifted = names.indexOf('user_category_click_share_7d');

/** 8 days of 100 requests of 5 candidates each; from SHIFT_DAY one feature is tripled for every candidate. */
function requests() {
  const rng = new Random(23, 1);
  return Array.from({ length: 800 }, (_, n) => {
    const d = Math.floor(n / 100);
    const time = START + d * DAY + rng.below(DAY);
    const vectors = Array.from({ length: CANDIDATES }, () =>
      names.map(
        (_, i) =>
          (i === shifted && d >= SHIFT_DAY ? 3 : 1) * (i % 3 === 0 && rng.chance(0.1) ? Number.NaN : rng.float()),
      ),
    );
    return { request_id: `q${n}`, time, vectors };
  });
}

const s = (ms: number) => Math.floor(ms / 1000);
const values = (rows: readonly SqlValue[][]) => rows.map((r) => `(${r.map(literal).join(', ')})`).join(',\n');

describe("drift of a ranking model's candidate features", () => {
  let h: Harness;
  const rows = requests();

  beforeAll(async () => {
    h = await harness();
    await h.clickhouse.command({
      query: `INSERT INTO recsys_enriched_requests (request_id, event_time, user_id, feature_set, feature_set_version, candidate_item_ids, candidate_categories, feature_values, computed_at, computed_at_ms) VALUES ${values(
        rows.map((r) => [
          r.request_id,
          s(r.time),
          'tok_k1_u',
          recsysFeatureSet.name,
          recsysFeatureSet.version,
          r.vectors.map((_, i) => `${r.request_id}-i${i}`),
          r.vectors.map(() => 'books'),
          r.vectors,
          s(r.time + 5),
          r.time + 5,
        ]),
      )}`,
    });
    await h.clickhouse.command({
      query: `INSERT INTO recsys_recommendations (request_id, user_id, event_time, item_ids, item_scores, item_reason_codes, path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at, decided_at_ms) VALUES ${values(
        rows.map((r) => [
          r.request_id,
          'tok_k1_u',
          s(r.time),
          [`${r.request_id}-i0`],
          [0.5],
          [['MODEL']],
          'MODEL_AND_RULES',
          'test',
          'recsys_rank',
          '1',
          1,
          'control',
          s(r.time + 20),
          r.time + 20,
        ]),
      )}`,
    });
  });
  afterAll(() => h?.close());

  it('opens one DRIFT alert naming the shifted feature once it moves, and no retraining trigger', async () => {
    const { monitor } = await h.monitor({
      MONITOR_CHECKS: 'drift',
      MONITOR_WINDOW: '1d',
      MONITOR_INTERVAL: '1d',
      MONITOR_REFERENCE_FROM: new Date(START).toISOString(),
      MONITOR_REFERENCE_TO: new Date(START + 3 * DAY).toISOString(),
      MONITOR_ALERTS_TOPIC: h.topics.alerts,
      MONITOR_TRIGGERS_TOPIC: h.topics.retrainingTriggers,
    });
    const before = await monitor.runWindow(START + SHIFT_DAY * DAY);
    const after = await monitor.runWindow(START + (SHIFT_DAY + 1) * DAY);
    const psi = (run: typeof before, feature: string) =>
      run.figures.find(
        (f) => f.model_name === 'recsys_rank' && f.kind === 'DRIFT' && f.metric === 'psi' && f.subject === feature,
      );

    // 100 requests × 5 candidates a day against 1,500 reference candidates: judged (min_samples 500).
    expect(psi(before, names[shifted] as string)).toMatchObject({
      judged: true,
      breached: false,
      n: 500,
      nReference: 1500,
    });
    expect(before.alerts).toEqual([]);
    expect(psi(after, names[shifted] as string)).toMatchObject({ breached: true, n: 500 });
    const breached = [...new Set(after.figures.filter((f) => f.breached).map((f) => f.subject))];
    expect(breached).toEqual([names[shifted]]);
    expect(after.alerts).toHaveLength(1);
    expect(after.alerts[0]).toMatchObject({
      check: 'DRIFT',
      status: 'OPEN',
      model_name: 'recsys_rank',
      variant: 'control',
    });
    expect(after.triggers).toEqual([]);
    expect(await h.triggers()).toEqual([]);
  });
});
