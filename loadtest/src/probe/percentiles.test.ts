import { describe, expect, it } from 'vitest';
import { percentile, summarize, ValueRecorder } from './percentiles.js';

/**
 * Nearest rank by its definition, independently of the implementation: the smallest observed value
 * v such that at least p% of the values are <= v (integer arithmetic, no rounding).
 */
function bruteForce(values: number[], p: number): number {
  const candidates = [...new Set(values)].sort((a, b) => a - b);
  for (const v of candidates) {
    const atOrBelow = values.filter((x) => x <= v).length;
    if (atOrBelow * 100 >= p * values.length) return v;
  }
  throw new Error('unreachable');
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const sorted = (values: number[]) => Float64Array.from(values).sort();

describe('percentile (nearest rank)', () => {
  it('matches the definition on known lists', () => {
    const values = [15, 20, 35, 40, 50];
    // The textbook example: p30 = 20, p40 = 20, p50 = 35, p100 = 50.
    expect(percentile(sorted(values), 30)).toBe(20);
    expect(percentile(sorted(values), 40)).toBe(20);
    expect(percentile(sorted(values), 50)).toBe(35);
    expect(percentile(sorted(values), 100)).toBe(50);
    expect(percentile(sorted(values), 0)).toBe(15);
  });

  it('gives the only value for every p on one element', () => {
    for (const p of [0, 1, 50, 95, 99, 100]) expect(percentile(sorted([7]), p)).toBe(7);
  });

  it('handles duplicates, p100 and random lists like the brute force', () => {
    const random = seeded(42);
    const lists: number[][] = [
      [3, 3, 3, 3],
      [1, 2, 2, 2, 9],
      [5, 1, 5, 1, 5, 1, 100],
      Array.from({ length: 100 }, (_, i) => i + 1),
      Array.from({ length: 1000 }, () => Math.floor(random() * 50)),
      Array.from({ length: 997 }, () => Math.round(random() * 1e6) / 100),
    ];
    for (const values of lists) {
      for (const p of [0.1, 1, 25, 50, 90, 95, 99, 99.9, 100]) {
        expect(percentile(sorted(values), p), `p${p} of ${values.length} values`).toBe(bruteForce(values, p));
      }
    }
  });

  it('p95 of 1..100 is 95, not 96 (no floating-point rank skip)', () => {
    const values = sorted(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
  });

  it('refuses an empty list and p outside 0..100', () => {
    expect(() => percentile(sorted([]), 50)).toThrow(RangeError);
    expect(() => percentile(sorted([1]), 101)).toThrow(RangeError);
    expect(() => percentile(sorted([1]), Number.NaN)).toThrow(RangeError);
  });
});

describe('summary', () => {
  it('gives count, p50, p95, p99, max and mean of unsorted values', () => {
    const values = [9, 1, 4, 4, 10, 2];
    expect(summarize(values)).toEqual({
      count: 6,
      p50: bruteForce(values, 50),
      p95: bruteForce(values, 95),
      p99: bruteForce(values, 99),
      max: 10,
      mean: 30 / 6,
    });
  });

  it('is all null but count for no values', () => {
    expect(summarize([])).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
  });

  it('records past its initial capacity without losing values', () => {
    const recorder = new ValueRecorder();
    const values = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    for (const v of values) recorder.record(v);
    expect(recorder.count).toBe(5000);
    expect(recorder.summary()).toEqual(summarize(values));
    expect(recorder.summary().max).toBe(4999);
  });
});
