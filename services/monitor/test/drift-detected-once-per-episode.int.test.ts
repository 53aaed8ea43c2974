import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHealthServer, startTelemetry } from '@pipeline/shared';
import { bearer, testPrincipals } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitorMetrics } from '../src/metrics.js';
import { CHAMPION, championModel, type Harness, harness, insertTraffic, removeDir, tempRegistry } from './harness.js';
import { DAY, START, score, traffic } from './traffic.js';

/**
 * Amounts tripled for half the customers from day 44 on (the simulator's amountDrift). The
 * reference is days 31-38, recorded as the champion's training window in a copy of the registry.
 * The monitor runs daily in event time over 2-day windows from day 40 to the end of the data.
 */
describe('an injected amount drift', () => {
  let h: Harness;
  let registry: string;
  const DRIFT_DAY = 44;
  const ALLOWED_DELAY_DAYS = 2;

  beforeAll(async () => {
    h = await harness();
    registry = tempRegistry({ from: START + 31 * DAY, to: START + 38 * DAY });
    const t = traffic(
      {
        seed: 41,
        customers: 400,
        terminals: 1_600,
        days: 52,
        fraudRate: 0.02,
        customerProfile: { txPerDay: { min: 0.5, max: 1.5 } },
        amountDrift: { fromDay: DRIFT_DAY, multiplier: 3, customerShare: 0.5 },
      },
      31,
      START + 52 * DAY,
    );
    await insertTraffic(h.clickhouse, t, await score(championModel(registry), t.rows));
  });

  afterAll(async () => {
    await h?.close();
    removeDir(registry);
  });

  it('is detected within the configured delay, naming the drifted features, with exactly one trigger', async () => {
    const thresholds = join(registry, 'thresholds.yaml');
    writeFileSync(thresholds, 'drift:\n  min_samples: 300\n');
    const telemetry = startTelemetry('monitor-test', {});
    const principals = testPrincipals();
    const health = await startHealthServer({ port: 0, auth: principals.auth(), metrics: telemetry.metricsHandler });
    const { monitor } = await h.monitor(
      {
        MODEL_REGISTRY_DIR: registry,
        MONITOR_CHECKS: 'drift',
        MONITOR_CLOCK: 'event',
        MONITOR_INTERVAL: '1d',
        MONITOR_WINDOW: '2d',
        MONITOR_LATENESS: '0',
        MONITOR_START: new Date(START + 40 * DAY).toISOString(),
        MONITOR_THRESHOLDS_FILE: thresholds,
      },
      createMonitorMetrics(),
    );
    const runs = await monitor.runDue();
    expect(runs.map((r) => (r.windowEnd - START) / DAY)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51]);
    // Nothing is due until more data arrives: a second pass is a no-op.
    expect(await monitor.runDue()).toEqual([]);

    const triggers = await h.triggers();
    expect(triggers).toHaveLength(1);
    const [trigger] = triggers;
    expect(trigger).toMatchObject({ ...CHAMPION, variant: 'control', checks: ['DRIFT'] });
    const detectedAfterDays = ((trigger?.window_end ?? 0) - (START + DRIFT_DAY * DAY)) / DAY;
    expect(detectedAfterDays, trigger?.reasons.join('; ')).toBeGreaterThan(0);
    expect(detectedAfterDays).toBeLessThanOrEqual(ALLOWED_DELAY_DAYS);
    expect(trigger?.reference_start).toBe(START + 31 * DAY);
    const drifted = new Set(trigger?.evidence.map((e) => e.subject));
    expect(drifted).toContain('event_amount');
    // Only what amounts feed (and the score, which depends on them) is named.
    for (const subject of drifted) expect(subject === 'score' || subject.includes('amount'), subject).toBe(true);
    expect(trigger?.reasons.some((r) => r.startsWith('psi(event_amount)') || r.startsWith('ks(event_amount)'))).toBe(
      true,
    );

    const alerts = await h.alerts();
    expect(alerts.map((a) => [a.check, a.status])).toEqual([['DRIFT', 'OPEN']]);
    // The figures are in ClickHouse for analysts, every run, every feature.
    const result = await h.clickhouse.query({
      query: `SELECT toUInt64(window_end) * 1000 AS end, max(value) AS psi FROM monitor_metrics FINAL
        WHERE kind = 'DRIFT' AND metric = 'psi' AND subject = 'event_amount' GROUP BY end ORDER BY end`,
      format: 'JSONEachRow',
    });
    const psi = await result.json<{ end: string; psi: number }>();
    expect(psi).toHaveLength(12);
    const before = psi.filter((r) => Number(r.end) <= START + DRIFT_DAY * DAY).map((r) => r.psi);
    const after = psi.filter((r) => Number(r.end) >= START + (DRIFT_DAY + 2) * DAY).map((r) => r.psi);
    expect(Math.max(...before)).toBeLessThan(0.1);
    expect(Math.min(...after)).toBeGreaterThan(0.25);
    // The README's example queries run on these tables.
    const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
    const queries = [...readme.matchAll(/```sql\n-- query: (\S+)\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]] as const);
    expect(queries.map(([name]) => name)).toEqual(['drift-by-feature', 'episodes', 'alerts', 'retrainings']);
    const counts: Record<string, number> = {};
    for (const [name, query] of queries) {
      const r = await h.clickhouse.query({ query: query as string, format: 'JSONEachRow' });
      counts[name as string] = (await r.json()).length;
    }
    expect(counts).toEqual({ 'drift-by-feature': 12 * 36, episodes: 1, alerts: 1, retrainings: 0 }); // 35 features and the score

    // And exposed for Prometheus: the latest run's figures.
    const text = await (
      await fetch(`http://127.0.0.1:${health.port}/metrics`, { headers: bearer(principals.only.read) })
    ).text();
    await health.close();
    await telemetry.shutdown();
    expect(text).toMatch(/monitor_figure\{[^}]*subject="event_amount"[^}]*metric="psi"[^}]*\} \d/);
    expect(text).toMatch(/monitor_breached\{[^}]*subject="event_amount"[^}]*metric="psi"[^}]*\} 1/);
    expect(text).toMatch(/monitor_retraining_triggers_total(\{[^}]*\})? 1/);
    console.log(
      `drift: detected ${detectedAfterDays} day(s) after it began; event_amount PSI before ${before.map((v) => v.toFixed(3)).join(' ')}, after ${after.map((v) => v.toFixed(3)).join(' ')}; named: ${[...drifted].join(', ')}; run time ${runs.map((r) => Math.round(r.durationMs)).join('/')} ms over ${runs.map((r) => r.rows).join('/')} rows`,
    );
  });
});
