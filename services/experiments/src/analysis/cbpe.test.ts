import { Random } from '@pipeline/loadtest';
import { describe, expect, it } from 'vitest';
import { estimatePerformance, realizedPerformance, type ScoredDecision } from './cbpe.js';

/** 20,000 decisions with scores skewed low like a fraud model's; labels drawn with probability calibration(score). */
function synthetic(seed: number, calibration: (s: number) => number) {
  const rng = new Random(seed, 9);
  const rows: ScoredDecision[] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < 20_000; i++) {
    const score = rng.float() ** 4;
    rows.push({ score, flagged: score >= 0.3, amount: Math.round(rng.lognormal(4, 0.8)) });
    labels.push(rng.chance(calibration(score)));
  }
  return { rows, labels };
}

describe('confidence-based performance estimation', () => {
  it('matches the realized precision, recall, AUC and money caught on calibrated scores', () => {
    const { rows, labels } = synthetic(1, (s) => s);
    const expected = estimatePerformance(rows);
    const realized = realizedPerformance(rows, labels);
    expect(realized.frauds).toBeGreaterThan(3000);
    expect(Math.abs(expected.precision - realized.precision)).toBeLessThan(0.02);
    expect(Math.abs(expected.recall - realized.recall)).toBeLessThan(0.02);
    expect(Math.abs(expected.auc - realized.auc)).toBeLessThan(0.02);
    expect(Math.abs(expected.caughtPerTransaction / realized.caughtPerTransaction - 1)).toBeLessThan(0.05);
  });

  it('is off when the scores are not calibrated: what the check against labels is for', () => {
    const { rows, labels } = synthetic(2, (s) => s / 2);
    const expected = estimatePerformance(rows);
    const realized = realizedPerformance(rows, labels);
    expect(expected.precision - realized.precision).toBeGreaterThan(0.15);
  });

  it('computes the AUC of hand-made rows, ties counting a half', () => {
    const rows = [0.1, 0.4, 0.35, 0.8].map((score) => ({ score, flagged: score >= 0.5, amount: 10 }));
    // Positives 0.35 and 0.8, negatives 0.1 and 0.4: pairs (0.35>0.1), (0.8>0.1), (0.8>0.4) concordant, (0.35<0.4) not.
    expect(realizedPerformance(rows, [false, false, true, true]).auc).toBe(0.75);
    const tied = [0.5, 0.5].map((score) => ({ score, flagged: true, amount: 10 }));
    expect(realizedPerformance(tied, [true, false]).auc).toBe(0.5);
    const r = realizedPerformance(rows, [false, false, true, true]);
    expect(r.precision).toBe(1);
    expect(r.recall).toBe(0.5);
    expect(r.caughtPerTransaction).toBe(2.5);
    // Expected: one pair per (i, j), i ≠ j: p_i(1 − p_j) over Σp·Σ(1−p) − Σp(1−p).
    const e = estimatePerformance([
      { score: 0.2, flagged: false, amount: 1 },
      { score: 0.6, flagged: true, amount: 1 },
    ]);
    expect(e.auc).toBeCloseTo((0.6 * 0.8) / (0.6 * 0.8 + 0.2 * 0.4), 12);
    expect(e.precision).toBeCloseTo(0.6, 12);
    expect(e.recall).toBeCloseTo(0.6 / 0.8, 12);
  });

  it('gives NaN, not a crash, for no rows or no flags', () => {
    const e = estimatePerformance([]);
    expect(e.rows).toBe(0);
    expect(Number.isNaN(e.precision) && Number.isNaN(e.auc)).toBe(true);
    expect(() => realizedPerformance([{ score: 0.1, flagged: false, amount: 1 }], [])).toThrow(/one label per row/);
  });
});
