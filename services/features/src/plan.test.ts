import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { compilePlan, unpackAggregates, windowSpec } from './plan.js';

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
    expect(plan.terminal.aggs).toBe('n');
  });

  it('keeps each bucket level as long as a window or a partial current bucket can read it', () => {
    expect(plan.customer.retentionMs).toEqual([HOUR + MIN, DAY + HOUR, 31 * DAY]);
    expect(plan.customer.distinctRetentionMs).toBe(8 * DAY);
    expect(plan.customer.idRetentionMs).toBe(31 * DAY);
    expect(plan.outputRetentionMs).toBe(31 * DAY);
    expect(compilePlan(fraudFeatureSet, 0, DAY).outputRetentionMs).toBe(DAY);
    expect(windowSpec(['1h', '7d'])).toBe(`${HOUR}:${MIN};${7 * DAY}:${DAY}`);
  });

  it('unpacks what the script returns, with empty fields as NaN', () => {
    const agg = unpackAggregates(plan.terminal, '3,,,4,,,5,,,,1,2,0');
    expect(agg.amount.get('7d')).toEqual({ n: 4, s: Number.NaN, x: Number.NaN });
    expect(agg.prevTime).toBeNaN();
    expect([...agg.frauds.values()]).toEqual([1, 2, 0]);
  });
});
