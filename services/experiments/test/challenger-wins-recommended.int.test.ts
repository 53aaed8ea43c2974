import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, type Harness, harness, insertTraffic, type Row, rulesFile, traffic } from './harness.js';

const start = Date.UTC(2026, 0, 11);
const LENIENT = {
  EXPERIMENTS_MARGINS: 'decline_rate=1,review_rate=1,latency_ms=1000,fp_per_1000_genuine=1000',
  EXPERIMENTS_CHAMPION_LIMITS: 'decline_rate=1',
};
const vars = (extra: Record<string, string>) => ({
  EXPERIMENTS_RULES_FILE: rulesFile([
    { name: 'control', share: 0.5 },
    { name: 'challenger', share: 0.5, model: 'fraud_gbdt' },
  ]),
  EXPERIMENTS_START: new Date(start).toISOString(),
  EXPERIMENTS_DAYS: '6',
  EXPERIMENTS_LABEL_LAG: '2d',
  EXPERIMENTS_BASELINE_DAYS: '5',
  ...LENIENT,
  ...extra,
});

/** Fraud money stopped per transaction of a variant over [from, to), computed from the seeded rows. */
function caughtPerTransaction(rows: readonly Row[], variant: string, from: number, to: number): number {
  const mine = rows.filter((r) => r.variant === variant && r.time >= from && r.time < to);
  const caught = mine.reduce((sum, r) => sum + (r.fraud && r.action !== 'APPROVE' ? r.amount : 0), 0);
  return caught / mine.length;
}

describe('a challenger that stops more fraud money', () => {
  let h: Harness;
  let rows: Row[];

  beforeAll(async () => {
    h = await harness();
    // A week before the start (the power analysis's baseline), six days of experiment, and traffic
    // after it while the last labels come in.
    rows = traffic({
      seed: 7,
      customers: 1_500,
      from: start - 7 * DAY,
      to: start + 9 * DAY,
      start,
      challengerThreshold: 0.3,
    });
    await insertTraffic(h.clickhouse, rows);
  });
  afterAll(() => h?.close());

  it('is found to win with daily looks; dry-run records the promotion and leaves the registry alone', async () => {
    const aliasesBefore = readFileSync(join(h.registryDir, 'aliases.json'), 'utf8');
    const job = await h.job(vars({ EXPERIMENTS_PROMOTION: 'dry-run' }));
    const looks = await job.runDue();
    // Daily looks from a day after the start until the last day's labels are in (6 days + 2 days of lag).
    expect(looks.map((l) => (l.asOf - start) / DAY)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const verdicts = looks.map((l) => l.decisions[0]?.verdict);
    // No labelled day before the third look; then the test stops on the challenger's win and stays there.
    expect(verdicts.slice(0, 2)).toEqual(['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA']);
    expect(verdicts.at(-1)).toBe('CHALLENGER_WINS');
    const last = looks.at(-1)?.decisions[0];
    expect(last).toMatchObject({
      experiment: 'gbm_trial',
      variant: 'challenger',
      control: 'control',
      recommendation: 'PROMOTE',
      mode: 'DRY_RUN',
      action_status: 'DRY_RUN',
      control_model: 'fraud_gbdt@2',
      variant_model: 'fraud_gbdt@1',
    });
    expect(last?.action_detail).toBe(
      'would promote fraud_gbdt@1 to champion (replacing fraud_gbdt@2); champion would be fraud_gbdt@1',
    );
    expect(last?.min_p_value).toBeLessThanOrEqual(0.05);
    expect(readFileSync(join(h.registryDir, 'aliases.json'), 'utf8')).toBe(aliasesBefore);

    // The results table: the primary figure of each variant is exactly the seeded traffic's, and the
    // always-valid interval of the difference lies above 0.
    const result = await h.clickhouse.query({
      query: `SELECT variant, value, control_value, difference, cs_low, cs_high, p_value, mde, units, n
        FROM experiment_results FINAL
        WHERE metric = 'fraud_caught_per_txn' AND as_of = toDateTime(${(start + 8 * DAY) / 1000}) ORDER BY variant`,
      format: 'JSONEachRow',
    });
    const [challenger, control] = await result.json<Record<string, number | string>>();
    const end = start + 6 * DAY;
    expect(Number(challenger?.value)).toBeCloseTo(caughtPerTransaction(rows, 'challenger', start, end), 6);
    expect(Number(control?.value)).toBeCloseTo(caughtPerTransaction(rows, 'control', start, end), 6);
    expect(Number(challenger?.value)).toBeGreaterThan(Number(control?.value));
    expect(Number(challenger?.cs_low)).toBeGreaterThan(0);
    expect(Number(challenger?.mde)).toBeGreaterThan(0);
    expect(Number(challenger?.units)).toBe(750);
    expect(Number(challenger?.n)).toBe(
      rows.filter((r) => r.variant === 'challenger' && r.time >= start && r.time < end).length,
    );

    // Guardrails and the label-free estimates are recorded beside it.
    const metrics = await h.clickhouse.query({
      query: `SELECT metric, value, realized FROM experiment_results FINAL
        WHERE variant = 'challenger' AND as_of = toDateTime(${(start + 8 * DAY) / 1000}) ORDER BY metric`,
      format: 'JSONEachRow',
    });
    const byMetric = new Map(
      (await metrics.json<{ metric: string; value: number; realized: number | null }>()).map((r) => [r.metric, r]),
    );
    for (const m of ['decline_rate', 'review_rate', 'latency_ms', 'fp_per_1000_genuine', 'fraud_money_recall']) {
      expect(byMetric.has(m)).toBe(true);
    }
    expect(byMetric.get('latency_ms')?.value).toBeGreaterThanOrEqual(15);
    expect(byMetric.get('latency_ms')?.value).toBeLessThan(35);
    // Calibrated scores: the estimate from scores alone is within 0.03 of the labelled precision and AUC.
    for (const m of ['precision', 'auc']) {
      const check = byMetric.get(`cbpe_check_${m}`);
      expect(Math.abs(Number(check?.value) - Number(check?.realized))).toBeLessThan(0.03);
    }

    // One message per look on the decisions topic, the same as the table.
    const messages = await h.messages(8);
    expect(messages.map((m) => m.verdict)).toEqual(verdicts);
    expect(messages.at(-1)?.figures.find((f) => f.metric === 'fraud_caught_per_txn')?.cs_low).toBeGreaterThan(0);
    const recorded = await h.clickhouse.query({
      query: "SELECT count() AS n FROM experiment_decisions FINAL WHERE action_status = 'DRY_RUN'",
      format: 'JSONEachRow',
    });
    expect(Number((await recorded.json<{ n: string }>())[0]?.n)).toBeGreaterThan(0);
  });

  it('in act mode promotes through the registry, with who and why in its history, once', async () => {
    const job = await h.job(vars({ EXPERIMENTS_PROMOTION: 'act' }));
    const look = await job.runLook(start + 8 * DAY);
    expect(look.decisions[0]).toMatchObject({ mode: 'ACT', action_status: 'APPLIED' });
    const aliases = JSON.parse(readFileSync(join(h.registryDir, 'aliases.json'), 'utf8'));
    expect(aliases.champion).toBe('fraud_gbdt@1');
    expect(aliases.archived).toContain('fraud_gbdt@2');
    const change = aliases.history.at(-1);
    expect(change).toMatchObject({
      by: 'experiments-test',
      action: 'promote',
      ref: 'fraud_gbdt@1',
      previous: 'fraud_gbdt@2',
    });
    expect(change.why).toMatch(
      /^experiment gbm_trial: CHALLENGER_WINS at gbm_trial\/challenger\/2026-01-19T00:00:00.000Z/,
    );
    // The same look again (a restart): nothing more happens.
    const again = await job.runLook(start + 8 * DAY);
    expect(again.decisions[0]).toMatchObject({
      action_status: 'SKIPPED',
      action_detail: 'fraud_gbdt@1 is already the champion',
    });
    expect(JSON.parse(readFileSync(join(h.registryDir, 'aliases.json'), 'utf8')).history).toHaveLength(
      aliases.history.length,
    );
  });
});
