import { describe, expect, it } from 'vitest';
import { Random } from './random.js';

function draws(rng: Random, n: number, draw: (r: Random) => number): number[] {
  return Array.from({ length: n }, () => draw(rng));
}

function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.sqrt(variance) };
}

describe('Random', () => {
  it('repeats its sequence for a seed and stream, and differs across seeds and streams', () => {
    const a = draws(new Random(42), 1000, (r) => r.uint32());
    expect(draws(new Random(42), 1000, (r) => r.uint32())).toEqual(a);
    expect(draws(new Random(43), 1000, (r) => r.uint32())).not.toEqual(a);
    expect(draws(new Random(42, 1), 1000, (r) => r.uint32())).not.toEqual(a);
  });

  it('draws uniforms in [0, 1) and integers in their ranges', () => {
    const rng = new Random(1);
    for (let i = 0; i < 10_000; i++) {
      const u = rng.float();
      expect(u >= 0 && u < 1).toBe(true);
      const k = rng.intBetween(3, 7);
      expect(Number.isInteger(k) && k >= 3 && k <= 7).toBe(true);
      const b = rng.below(10);
      expect(Number.isInteger(b) && b >= 0 && b < 10).toBe(true);
    }
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 50_000; i++) counts[rng.intBetween(3, 7) - 3]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('has the stated means and spreads (200k draws each)', () => {
    const rng = new Random(7);
    const n = 200_000;
    const normal = meanAndSd(draws(rng, n, (r) => r.gaussian(10, 2)));
    expect(normal.mean).toBeCloseTo(10, 1);
    expect(normal.sd).toBeCloseTo(2, 1);
    expect(meanAndSd(draws(rng, n, (r) => r.exponential(3))).mean).toBeCloseTo(3, 1);
    const logs = draws(rng, n, (r) => r.lognormal(Math.log(5), 0.5)).sort((a, b) => a - b);
    expect(logs[n / 2]).toBeCloseTo(5, 1); // median e^mu
    expect(meanAndSd(draws(rng, n, (r) => r.poisson(2.5))).mean).toBeCloseTo(2.5, 1);
    const large = meanAndSd(draws(rng, n, (r) => r.poisson(100)));
    expect(large.mean).toBeCloseTo(100, 0);
    expect(large.sd).toBeCloseTo(10, 0);
    expect(meanAndSd(draws(rng, n, (r) => r.roundStochastic(2.3))).mean).toBeCloseTo(2.3, 1);
  });
});
