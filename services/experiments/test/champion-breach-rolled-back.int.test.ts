import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, type Harness, harness, insertTraffic, rulesFile, traffic } from './harness.js';

const start = Date.UTC(2026, 0, 11);

describe('a champion above its decline-rate limit', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await harness();
    // The control declines an extra 20 % of its traffic from the start; the challenger is the same model policy.
    await insertTraffic(
      h.clickhouse,
      traffic({
        seed: 11,
        customers: 600,
        from: start - 7 * DAY,
        to: start + 4 * DAY,
        start,
        challengerThreshold: 0.5,
        controlDeclineShare: 0.2,
      }),
    );
  });
  afterAll(() => h?.close());

  const vars = (mode: string) => ({
    EXPERIMENTS_RULES_FILE: rulesFile([
      { name: 'control', share: 0.5 },
      { name: 'challenger', share: 0.5, model: 'fraud_gbdt' },
    ]),
    EXPERIMENTS_START: new Date(start).toISOString(),
    EXPERIMENTS_DAYS: '6',
    EXPERIMENTS_LABEL_LAG: '2d',
    EXPERIMENTS_BASELINE_DAYS: '5',
    EXPERIMENTS_CHAMPION_LIMITS: 'decline_rate=0.1',
    EXPERIMENTS_ROLLBACK: mode,
  });

  it('by default is only recommended for rollback: the registry is untouched', async () => {
    const before = readFileSync(join(h.registryDir, 'aliases.json'), 'utf8');
    const look = await (await h.job(vars('recommend'))).runLook(start + 3 * DAY);
    expect(look.decisions[0]).toMatchObject({
      verdict: 'CHAMPION_BREACH',
      recommendation: 'ROLLBACK',
      mode: 'RECOMMEND',
      action_status: 'RECOMMENDED',
      action_detail: 'roll back champion fraud_gbdt@2',
    });
    expect(look.decisions[0]?.reasons[0]).toMatch(/^champion decline_rate 0\.2\d+ > limit 0\.100/);
    const breached = look.results.filter((r) => r.breached).map((r) => `${r.variant}:${r.metric}`);
    expect(breached).toEqual(['control:decline_rate']);
    expect(readFileSync(join(h.registryDir, 'aliases.json'), 'utf8')).toBe(before);
  });

  it('in act mode is rolled back through the registry to the champion before it', async () => {
    const look = await (await h.job(vars('act'))).runLook(start + 3 * DAY);
    expect(look.decisions[0]).toMatchObject({
      action_status: 'APPLIED',
      action_detail: 'rolled back champion fraud_gbdt@2 to fraud_gbdt@1',
    });
    const aliases = JSON.parse(readFileSync(join(h.registryDir, 'aliases.json'), 'utf8'));
    expect(aliases.champion).toBe('fraud_gbdt@1');
    expect(aliases.history.at(-1)).toMatchObject({ by: 'experiments-test', action: 'rollback', ref: 'fraud_gbdt@1' });
    expect(aliases.history.at(-1).why).toMatch(/CHAMPION_BREACH.*champion decline_rate/);
  });
});

describe('experiments that cannot be analysed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h?.close());

  it('one variant: a clear result, nothing written, nothing sent', async () => {
    const job = await h.job({ EXPERIMENTS_RULES_FILE: rulesFile([{ name: 'control', share: 1 }]) });
    const [look] = await job.runDue();
    expect(look?.problem).toBe('experiment gbm_trial has one variant (control): nothing to compare');
    expect(look?.decisions).toEqual([]);
    const n = await h.clickhouse.query({
      query: 'SELECT count() AS n FROM experiment_decisions',
      format: 'JSONEachRow',
    });
    expect(Number((await n.json<{ n: string }>())[0]?.n)).toBe(0);
  });

  it('no control variant, or no data yet: said so', async () => {
    const noControl = await h.job({
      EXPERIMENTS_RULES_FILE: rulesFile([
        { name: 'a', share: 0.5 },
        { name: 'b', share: 0.5 },
      ]),
    });
    expect((await noControl.runDue())[0]?.problem).toBe(
      "experiment gbm_trial has no variant 'control' (EXPERIMENTS_CONTROL); variants: a, b",
    );
    const empty = await h.job({
      EXPERIMENTS_RULES_FILE: rulesFile([
        { name: 'control', share: 0.5 },
        { name: 'challenger', share: 0.5 },
      ]),
    });
    expect((await empty.runDue())[0]?.problem).toBe('no decisions of challenger logged yet: nothing to analyse');
  });

  it('a look with data but no baseline and no labels yet: INSUFFICIENT_DATA with the reasons', async () => {
    const start = Date.UTC(2026, 1, 1);
    await insertTraffic(
      h.clickhouse,
      traffic({ seed: 3, customers: 100, from: start, to: start + DAY, start, challengerThreshold: 0.3 }),
    );
    const job = await h.job({
      EXPERIMENTS_RULES_FILE: rulesFile([
        { name: 'control', share: 0.5 },
        { name: 'challenger', share: 0.5 },
      ]),
    });
    const look = await job.runLook(start + DAY);
    expect(look.decisions[0]?.verdict).toBe('INSUFFICIENT_DATA');
    expect(look.decisions[0]?.reasons).toEqual([
      'too few labelled customers for fraud_caught_per_txn: control 0, challenger 0 (at least 100 each, with some variance)',
      'no baseline to plan from: no decisions with matured labels in the 7 days before the start (set EXPERIMENTS_START)',
    ]);
  });
});
