import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binCounts,
  cardPrecisionAtK,
  confusionAt,
  ksStatistic,
  precisionRecall,
  psi,
  quantileEdges,
  rocAuc,
} from './stats.js';

describe('bins and PSI', () => {
  it('cuts at the reference deciles, drops duplicate edges, and counts NaN in a bin of its own', () => {
    const reference = Array.from({ length: 100 }, (_, i) => i);
    expect(quantileEdges(reference)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(quantileEdges([1, 1, 1, 1, 2, Number.NaN])).toEqual([2]);
    expect(binCounts([0, 9.9, 10, 95, Number.NaN], [10, 20, 30, 40, 50, 60, 70, 80, 90])).toEqual([
      2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1,
    ]);
  });

  it('is zero for identical shares and matches the formula for a shift', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 12);
    const expected = (0.25 - 0.5) * Math.log(0.25 / 0.5) + (0.75 - 0.5) * Math.log(0.75 / 0.5);
    expect(psi([50, 50], [25, 75])).toBeCloseTo(expected, 12);
    // An empty current bin is floored, not infinite.
    expect(Number.isFinite(psi([50, 50], [0, 10]))).toBe(true);
    expect(psi([0, 0], [1, 1])).toBeNaN();
  });
});

describe('ksStatistic', () => {
  it('is the largest CDF gap, with ties stepping both samples at once', () => {
    expect(ksStatistic([1, 2, 3, 4], [1, 2, 3, 4])).toBe(0);
    expect(ksStatistic([1, 2, 3, 4], [5, 6, 7, 8])).toBe(1);
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    // Discrete data: identical distributions in different orders give 0, not a tie artefact.
    expect(ksStatistic([0, 0, 1, 1], [1, 0, 1, 0])).toBe(0);
    expect(ksStatistic([0, 0, 0, 1], [0, 1, 1, 1])).toBe(0.5);
    expect(ksStatistic([Number.NaN], [1])).toBeNaN();
  });
});

describe('ranking metrics', () => {
  it('rocAuc counts tied pairs as one half, like scikit-learn', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('averagePrecision is scikit-learn step-wise AP', () => {
    // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333...
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333333, 9);
    // Ties form one step: average_precision_score([1, 0, 1], [0.5, 0.5, 0.2]) = 0.5*0.5 + 0.5*(2/3)
    expect(averagePrecision([0.5, 0.5, 0.2], [1, 0, 1])).toBeCloseTo(0.25 + 1 / 3, 12);
    expect(averagePrecision([0.3], [0])).toBeNaN();
  });

  it('precision and recall at a threshold flag scores at or above it', () => {
    const c = confusionAt([0.9, 0.5, 0.49, 0.1], [1, 0, 1, 0], 0.5);
    expect(c).toEqual({ tp: 1, fp: 1, fn: 1, tn: 1 });
    expect(precisionRecall(c)).toEqual({ precision: 0.5, recall: 0.5 });
    expect(precisionRecall({ tp: 0, fp: 0, fn: 0, tn: 3 })).toEqual({ precision: Number.NaN, recall: Number.NaN });
  });
});

describe('cardPrecisionAtK', () => {
  it('ranks cards by their best score each day and averages the compromised share over days', () => {
    const rows = [
      { day: 'd1', card: 'a', score: 0.9, isFraud: false },
      { day: 'd1', card: 'a', score: 0.2, isFraud: true }, // a is compromised on d1 through another transaction
      { day: 'd1', card: 'b', score: 0.8, isFraud: false },
      { day: 'd1', card: 'c', score: 0.1, isFraud: true },
      { day: 'd2', card: 'a', score: 0.7, isFraud: false },
      { day: 'd2', card: 'c', score: 0.7, isFraud: true }, // tie with a: card id decides, a first
    ];
    // d1 top 2: a (fraud), b → 0.5; d2 top 2: a, c (fraud) → 0.5; top 1: d1 a → 1, d2 a → 0.
    expect(cardPrecisionAtK(rows, 2)).toBe(0.5);
    expect(cardPrecisionAtK(rows, 1)).toBe(0.5);
    // Fewer cards than k: judged over the cards of the day.
    expect(cardPrecisionAtK(rows, 100)).toBeCloseTo((2 / 3 + 1 / 2) / 2, 12);
    expect(cardPrecisionAtK([], 100)).toBeNaN();
  });
});
