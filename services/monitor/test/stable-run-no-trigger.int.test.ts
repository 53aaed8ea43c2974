import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  championModel,
  type Harness,
  harness,
  insertTraffic,
  removeDir,
  TEST_THRESHOLDS,
  tempRegistry,
} from './harness.js';
import { DAY, START, score, traffic } from './traffic.js';

/**
 * 20 daily runs in event time over stationary traffic (after the 30-day windows warmed up), every
 * check on, labels known after a few days: any alert is a false alarm, and no trigger may fire.
 */
describe('a long stable run', () => {
  let h: Harness;
  let registry: string;

  beforeAll(async () => {
    h = await harness();
    registry = tempRegistry({ from: START + 31 * DAY, to: START + 38 * DAY });
    const t = traffic(
      {
        seed: 43,
        customers: 400,
        terminals: 1_600,
        days: 60,
        fraudRate: 0.03,
        customerProfile: { txPerDay: { min: 0.5, max: 1.5 } },
        labelDelay: { fraud: { medianDays: 1, sigma: 0.3 }, genuine: { meanDays: 3, sdDays: 0.5 } },
      },
      31,
      START + 60 * DAY,
    );
    await insertTraffic(h.clickhouse, t, await score(championModel(registry), t.rows));
  });

  afterAll(async () => {
    await h?.close();
    removeDir(registry);
  });

  it('emits no retraining trigger, and reports its false alarms', async () => {
    const thresholds = join(registry, 'thresholds.yaml');
    writeFileSync(thresholds, TEST_THRESHOLDS);
    const { monitor } = await h.monitor({
      MODEL_REGISTRY_DIR: registry,
      MONITOR_CLOCK: 'event',
      MONITOR_INTERVAL: '1d',
      MONITOR_WINDOW: '2d',
      MONITOR_LATENESS: '0',
      MONITOR_START: new Date(START + 40 * DAY).toISOString(),
      MONITOR_LABEL_LAG: '4d',
      MONITOR_PERFORMANCE_WINDOW: '6d',
      MONITOR_BASELINE_DAYS: '7',
      MONITOR_THRESHOLDS_FILE: thresholds,
    });
    const runs = await monitor.runDue();
    expect(runs).toHaveLength(20);
    // Every check judged something in most runs: a test that never judged could not fail.
    const judgedKinds = new Set(runs.flatMap((r) => r.figures.filter((f) => f.judged).map((f) => f.kind)));
    expect([...judgedKinds].sort()).toEqual(['DRIFT', 'MIX', 'PERFORMANCE', 'QUALITY']);

    const alerts = await h.alerts();
    const falseAlarms = alerts.filter((a) => a.status === 'OPEN');
    const ap = runs.flatMap((r) =>
      r.figures.filter((f) => f.metric === 'average_precision').map((f) => f.value.toFixed(3)),
    );
    const worstPsi = Math.max(
      ...runs.flatMap((r) =>
        r.figures.filter((f) => f.kind === 'DRIFT' && f.metric === 'psi' && f.judged).map((f) => f.value),
      ),
    );
    console.log(
      `stable run: ${runs.length} runs, ${runs.reduce((n, r) => n + r.figures.filter((f) => f.judged).length, 0)} judged figures, ` +
        `${falseAlarms.length} false alarm(s) ${JSON.stringify(falseAlarms.map((a) => [a.check, a.reasons]))}, ` +
        `worst judged PSI ${worstPsi.toFixed(3)}, average precision per run ${ap.join(' ')}, ` +
        `run time median ${runs
          .map((r) => r.durationMs)
          .sort((a, b) => a - b)[10]
          ?.toFixed(0)} ms over ~${runs[10]?.rows} rows`,
    );
    expect(await h.triggers()).toEqual([]);
    expect(falseAlarms.filter((a) => a.check === 'DRIFT' || a.check === 'PERFORMANCE')).toEqual([]);
  });
});
