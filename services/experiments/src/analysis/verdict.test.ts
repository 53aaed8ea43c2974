import { describe, expect, it } from 'vitest';
import { compare } from './metrics.js';
import { momentsOf } from './ratio.js';
import { type JudgeInput, judge } from './verdict.js';

/** n customers with one transaction each and x drawn around `mean` (a fixed spread, so variances are known). */
const arm = (n: number, mean: number, spread = 1) =>
  momentsOf(Array.from({ length: n }, (_, i) => ({ x: mean + (i % 2 === 0 ? spread : -spread), y: 1 })));

function input(overrides: Partial<JudgeInput> & { primaryTreatment?: number; decline?: [number, number] }): JudgeInput {
  const primary = compare(
    'fraud_caught_per_txn',
    arm(2000, 10, 5),
    arm(2000, overrides.primaryTreatment ?? 10, 5),
    0.25,
    0.05,
  );
  const [dc, dt] = overrides.decline ?? [0.02, 0.02];
  const decline = compare('decline_rate', arm(2000, dc, 0.01), arm(2000, dt, 0.01), 0.0001, 0.05);
  return {
    primary,
    guardrails: [decline],
    margins: { decline_rate: 0.002 },
    championLimits: {},
    horizonReached: false,
    alpha: 0.05,
    minUnits: 100,
    ...overrides,
  };
}

describe('judging a look', () => {
  it('continues while nothing is clear, and says no difference at the horizon', () => {
    expect(judge(input({})).recommendation).toBe('CONTINUE');
    const end = judge(input({ horizonReached: true }));
    expect(end.verdict).toBe('NO_DIFFERENCE');
    expect(end.recommendation).toBe('STOP');
  });

  it('recommends promotion when the challenger stops more fraud money, and stopping when it stops less', () => {
    const win = judge(input({ primaryTreatment: 11 }));
    expect(win.verdict).toBe('CHALLENGER_WINS');
    expect(win.recommendation).toBe('PROMOTE');
    expect(win.minPValue).toBeLessThan(0.05);
    expect(judge(input({ primaryTreatment: 9 })).verdict).toBe('CHAMPION_WINS');
  });

  it('keeps a decision: the always-valid p-value is the minimum over looks, the verdict that of the look that stopped', () => {
    const j = judge(input({ previous: { verdict: 'CHALLENGER_WINS', minPValue: 0.01 } }));
    expect(j.minPValue).toBe(0.01);
    expect(j.verdict).toBe('CHALLENGER_WINS');
    expect(j.reasons).toEqual(['decided at an earlier look (always-valid p 0.0100)']);
    expect(judge(input({ previous: { verdict: 'CONTINUE', minPValue: 0.5 } })).minPValue).toBe(0.5);
    expect(judge(input({ previous: { verdict: 'CONTINUE', minPValue: Number.NaN } })).minPValue).toBeLessThanOrEqual(1);
  });

  it('stops a challenger that declines more than the margin, even when it wins on money', () => {
    const j = judge(input({ primaryTreatment: 11, decline: [0.02, 0.03] }));
    expect(j.verdict).toBe('GUARDRAIL_BREACH');
    expect(j.recommendation).toBe('STOP');
    expect(j.reasons[0]).toMatch(/^challenger decline_rate worse by 0.0100/);
  });

  it('recommends rolling back a champion above its limit', () => {
    const j = judge(input({ decline: [0.08, 0.02], championLimits: { decline_rate: 0.05 } }));
    expect(j.verdict).toBe('CHAMPION_BREACH');
    expect(j.recommendation).toBe('ROLLBACK');
    expect(j.reasons[0]).toMatch(/^champion decline_rate 0.0800 > limit 0.0500/);
  });

  it('gives no verdict on too few labelled customers, and says so', () => {
    const primary = compare('fraud_caught_per_txn', arm(10, 10), arm(1, 10), 0.25, 0.05);
    const j = judge(input({ primary }));
    expect(j.verdict).toBe('INSUFFICIENT_DATA');
    expect(j.recommendation).toBe('NONE');
    expect(j.reasons[0]).toMatch(/too few labelled customers for fraud_caught_per_txn: control 10, challenger 1/);
  });
});
