import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@pipeline/loadtest';
import { literal, type SqlValue } from '@pipeline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/monitor.js';
import { type Harness, harness } from './harness.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 3, 1);
const FALL_DAY = 8;
const ITEMS = 10;

interface List {
  request_id: string;
  time: number;
  clicked: number[];
}

/** 12 days of 300 lists of 10 by recsys_rank@1; each item clicked with probability 0.06, 0.025 from FALL_DAY. */
function lists(): List[] {
  const rng = new Random(17, 1);
  const out: List[] = [];
  for (let d = 0; d < 12; d++) {
    for (let u = 0; u < 300; u++) {
      const p = d >= FALL_DAY ? 0.025 : 0.06;
      const clicked = Array.from({ length: ITEMS }, (_, i) => i).filter(() => rng.chance(p));
      out.push({ request_id: `r${out.length}`, time: START + d * DAY + rng.below(DAY), clicked });
    }
  }
  return out;
}

const s = (ms: number) => Math.floor(ms / 1000);
const values = (rows: readonly SqlValue[][]) => rows.map((r) => `(${r.map(literal).join(', ')})`).join(',\n');

/** The lists and their clicks logged in h's database; the monitor's settings for them. */
async function seed(h: Harness, rows: readonly List[]): Promise<Record<string, string>> {
  await h.clickhouse.command({
    query: `INSERT INTO recsys_recommendations (request_id, user_id, event_time, item_ids, item_scores, item_reason_codes, path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at, decided_at_ms) VALUES ${values(
      rows.map((l, n) => {
        const items = Array.from({ length: ITEMS }, (_, i) => `${l.request_id}-i${i}`);
        return [
          l.request_id,
          `tok_k1_u${n % 300}`,
          s(l.time),
          items,
          items.map((_, i) => 1 - i / ITEMS),
          items.map(() => ['MODEL']),
          'MODEL_AND_RULES',
          'test',
          'recsys_rank',
          '1',
          1,
          'control',
          s(l.time + 20),
          l.time + 20,
        ];
      }),
    )}`,
  });
  await h.clickhouse.command({
    query: `INSERT INTO recsys_labels (interaction_id, recommendation_id, user_id, item_id, position, outcome, recommendation_time, recommendation_time_ms, label_time, label_time_ms) VALUES ${values(
      rows.flatMap((l) =>
        l.clicked.map((i) => [
          `${l.request_id}-c${i}`,
          l.request_id,
          'tok_k1_u',
          `${l.request_id}-i${i}`,
          i,
          'CLICK',
          s(l.time),
          l.time,
          s(l.time + 60_000),
          l.time + 60_000,
        ]),
      ),
    )}`,
  });
  const thresholds = join(mkdtempSync(join(tmpdir(), 'monitor-ranking-')), 'thresholds.yaml');
  writeFileSync(thresholds, 'ranking:\n  min_recommendations: 200\n  min_clicked: 50\n  max_ctr_drop: 0.3\n');
  return {
    MONITOR_CHECKS: 'performance',
    MONITOR_WINDOW: '1d',
    MONITOR_INTERVAL: '1d',
    MONITOR_BASELINE_DAYS: '7',
    MONITOR_CLEAR_RUNS: '2',
    MONITOR_ALERTS_TOPIC: h.topics.alerts,
    MONITOR_TRIGGERS_TOPIC: h.topics.retrainingTriggers,
    MONITOR_THRESHOLDS_FILE: thresholds,
  };
}

describe('a fall in click-through of a ranking model', () => {
  let h: Harness;
  const rows = lists();
  let vars: Record<string, string>;

  beforeAll(async () => {
    h = await harness();
    vars = await seed(h, rows);
  });
  afterAll(() => h?.close());

  it('opens one alert naming CTR once it falls, with the figures of the lists, and no retraining trigger', async () => {
    const { monitor } = await h.monitor(vars);
    const runs: RunResult[] = [];
    for (let d = 7; d <= 11; d++) runs.push(await monitor.runWindow(START + (d + 1) * DAY));
    const figure = (run: RunResult, metric: string) =>
      run.figures.find((f) => f.model_name === 'recsys_rank' && f.kind === 'PERFORMANCE' && f.metric === metric);

    // Day 7: within the last week's figures. Day 8: the fall.
    const [before, fall, ...after] = runs;
    if (!before || !fall) throw new Error('runs missing');
    const dayRows = (d: number) => rows.filter((l) => l.time >= START + d * DAY && l.time < START + (d + 1) * DAY);
    const ctrOf = (ls: List[]) => ls.reduce((n, l) => n + l.clicked.length, 0) / (ls.length * ITEMS);
    expect(figure(before, 'ctr')?.value).toBeCloseTo(ctrOf(dayRows(7)), 12);
    expect(figure(before, 'ctr_drop')).toMatchObject({ judged: true, breached: false });
    expect(before.alerts).toEqual([]);

    const reference = rows.filter((l) => l.time >= START + 1 * DAY && l.time < START + FALL_DAY * DAY);
    expect(figure(fall, 'ctr')?.value).toBeCloseTo(ctrOf(dayRows(FALL_DAY)), 12);
    expect(figure(fall, 'ctr_drop')?.value).toBeCloseTo(1 - ctrOf(dayRows(FALL_DAY)) / ctrOf(reference), 9);
    expect(figure(fall, 'ctr_drop')).toMatchObject({ breached: true, threshold: 0.3, n: 300, nReference: 2100 });
    expect(fall.alerts).toHaveLength(1);
    expect(fall.alerts[0]).toMatchObject({
      check: 'PERFORMANCE',
      status: 'OPEN',
      model_name: 'recsys_rank',
      model_version: '1',
      variant: 'control',
    });
    expect(fall.alerts[0]?.reasons[0]).toMatch(/^ctr_drop 0\.\d+ >= 0\.3 \(n=300\)/);
    expect(fall.triggers).toEqual([]);
    // The episode stays open while the fall lasts: no second alert.
    expect(after.flatMap((r) => r.alerts)).toEqual([]);

    const alerts = await h.alerts();
    expect(alerts.map((a) => `${a.check}:${a.status}:${a.model_name}`)).toEqual(['PERFORMANCE:OPEN:recsys_rank']);
    expect(await h.triggers()).toEqual([]);
  });
});

describe('the event clock, with recommendation traffic alone', () => {
  let h: Harness;
  afterAll(() => h?.close());

  it('runs the windows the lists have passed (no transactions logged) and opens the same one alert', async () => {
    h = await harness();
    const vars = await seed(h, lists());
    const { monitor } = await h.monitor({ ...vars, MONITOR_START: new Date(START + 8 * DAY).toISOString() });
    const runs = await monitor.runDue();
    // the newest list is on day 11: windows end up to day 11 + 1 minus the lateness
    expect(runs.map((r) => (r.windowEnd - START) / DAY)).toEqual([8, 9, 10, 11]);
    expect(runs.map((r) => r.alerts.map((a) => `${a.check}:${a.status}:${a.model_name}`))).toEqual([
      [],
      ['PERFORMANCE:OPEN:recsys_rank'],
      [],
      [],
    ]);
    expect(await monitor.runDue()).toEqual([]);
  });
});
