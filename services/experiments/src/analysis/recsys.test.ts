import { describe, expect, it } from 'vitest';
import { momentsOf, ratio } from './ratio.js';
import { compareRecsys, RECSYS_METRIC_NAMES } from './recsys.js';
import { judge } from './verdict.js';

// Per user: CTR (clicks, items shown) and NDCG@10 (sum over clicked lists, clicked lists).
const control = {
  ctr: momentsOf([
    { x: 1, y: 20 },
    { x: 0, y: 10 },
    { x: 2, y: 30 },
  ]),
  ndcg_at_10: momentsOf([
    { x: 0.5, y: 1 },
    { x: 0, y: 0 },
    { x: 1.2, y: 2 },
  ]),
};
const treatment = {
  ctr: momentsOf([
    { x: 3, y: 20 },
    { x: 2, y: 10 },
    { x: 4, y: 20 },
  ]),
  ndcg_at_10: momentsOf([
    { x: 0.9, y: 1 },
    { x: 0.7, y: 1 },
    { x: 1.5, y: 2 },
  ]),
};

describe('recommendation metrics', () => {
  const plans = { ctr: { tau2: 0.01 }, ndcg_at_10: { tau2: 0.04 } };

  it("compares CTR and NDCG@10 as fraud's figures are compared: ratios of user totals", () => {
    const [ctr, ndcg] = compareRecsys(control, treatment, plans, 0.05);
    expect(RECSYS_METRIC_NAMES).toEqual(['ctr', 'ndcg_at_10']);
    expect(ctr?.control.value).toBeCloseTo(3 / 60, 12);
    expect(ctr?.treatment.value).toBeCloseTo(9 / 50, 12);
    expect(ctr?.difference.estimate).toBeCloseTo(9 / 50 - 3 / 60, 12);
    expect(ctr?.difference.variance).toBeCloseTo(ratio(control.ctr).variance + ratio(treatment.ctr).variance, 15);
    expect(ndcg?.control.value).toBeCloseTo(1.7 / 3, 12);
    expect(ndcg?.treatment.value).toBeCloseTo(3.1 / 4, 12);
    expect(ctr?.better).toBe('higher');
    expect(ctr?.ci.low).toBeLessThan(ctr?.difference.estimate ?? 0);
    expect(ctr?.test.csLow).toBeLessThan(ctr?.ci.low ?? 0);
  });

  it('a variant with no users is NaN, which judge reads as too little data', () => {
    const [ctr] = compareRecsys(control, {}, plans, 0.05);
    expect(ctr?.treatment.value).toBeNaN();
    if (!ctr) throw new Error('no ctr');
    const j = judge({
      primary: ctr,
      guardrails: [],
      margins: {},
      championLimits: {},
      horizonReached: false,
      alpha: 0.05,
      minUnits: 1,
    });
    expect(j.verdict).toBe('INSUFFICIENT_DATA');
  });
});
