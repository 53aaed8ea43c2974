import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { compilePlan, layoutOf, planLua, unpackAggregates } from './plan.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('compilePlan', () => {
  const plan = compilePlan(fraudFeatureSet, 5 * MIN);

  it('derives what each entity keeps from the declarations', () => {
    expect(plan.customer.amountWindows).toEqual(['1h', '1d', '7d', '30d']);
    expect(plan.customer.distinctWindows).toEqual(['1d', '7d']);
    expect(plan.customer.labelWindows).toEqual([]);
    expect(plan.customer.aggs).toBe('nsx');
    expect(plan.terminal.amountWindows).toEqual(['1d', '7d', '30d']);
    expect(plan.terminal.labelWindows).toEqual(['1d', '7d', '30d']);
    expect(plan.terminal.delayMs).toBe(7 * DAY);
    expect(plan.terminal.aggs).toBe('n');
  });

  it('keeps each bucket level as long as a window or a partial current bucket can read it', () => {
    expect(plan.customer.retentionMs).toEqual([HOUR + MIN, DAY + HOUR, 31 * DAY]);
    expect(plan.customer.distinctRetentionMs).toBe(8 * DAY);
    expect(plan.customer.idRetentionMs).toBe(31 * DAY);
    expect(plan.outputRetentionMs).toBe(31 * DAY);
    expect(compilePlan(fraudFeatureSet, 0, DAY).outputRetentionMs).toBe(DAY);
  });

  it('keeps what the fraud rates read a delay back: transaction buckets and labels, no minute level', () => {
    expect(plan.terminal.retentionMs).toEqual([HOUR + MIN, 8 * DAY + HOUR, 38 * DAY]);
    expect(plan.terminal.labelRetentionMs).toEqual([0, DAY + HOUR, 31 * DAY]);
    expect(plan.terminal.reachMs).toBe(38 * DAY);
    expect(plan.keyTtlMs).toBe(38 * DAY + 5 * MIN + DAY);
    const lua = planLua(plan.terminal, plan);
    expect(lua).toContain(`delay = ${7 * DAY},`);
    expect(lua).toContain('minuteRates = false,');
    expect(lua).toContain(`labelRetention = { 0, ${DAY + HOUR}, ${31 * DAY} },`);
  });

  it('bakes the plan into a Lua table for the scripts', () => {
    const lua = planLua(plan.customer, plan);
    expect(lua).toContain(`amount = { { w = ${HOUR}, L = 1 }, { w = ${DAY}, L = 2 }, { w = ${7 * DAY}, L = 3 }`);
    expect(lua).toContain("aggs = { 'n', 's', 'x' }");
    expect(lua).toContain('width = 15');
    expect(lua).toContain('distinctCap = 64');
    expect(planLua(plan.terminal, plan)).toContain('labels = { { w = 86400000, L = 2 }');
  });

  it('unpacks what the script returns; what is not kept and "no previous" are NaN', () => {
    expect(layoutOf(plan.terminal)).toMatchObject({ width: 10, prev: 3 });
    const agg = unpackAggregates(plan.terminal, [3, 4, 5, 0, 1, 2, 0, 0, 2, 8]);
    expect(agg.amount.get('7d')).toEqual({ n: 4, s: Number.NaN, x: Number.NaN });
    expect(agg.prevTime).toBeNaN();
    expect([...agg.frauds.values()]).toEqual([
      { f: 1, n: 2 },
      { f: 0, n: 0 },
      { f: 2, n: 8 },
    ]);
  });
});
