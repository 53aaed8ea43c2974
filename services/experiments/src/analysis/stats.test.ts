import { describe, expect, it } from 'vitest';
import { csHalfWidth, fixedCi, msprt } from './msprt.js';
import { normalCdf, normalQuantile } from './normal.js';
import { fixedHorizonMde, fixedHorizonPower, lookVariances, plan, sequentialMde, sequentialPower } from './power.js';
import { difference, momentsOf, ratio } from './ratio.js';

describe('normal distribution', () => {
  it('gives the textbook quantiles and probabilities', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 5);
    expect(normalCdf(1.644854)).toBeCloseTo(0.95, 6);
    expect(() => normalQuantile(1)).toThrow(/p must be in \(0, 1\)/);
  });
});

describe('ratio metrics (delta method)', () => {
  // Four customers (x, y): R = 6/6 = 1; linearized (x − R·y)/ȳ = (0, 0, 4/3, −4/3), sample variance 32/27.
  const m = momentsOf([
    { x: 1, y: 1 },
    { x: 2, y: 2 },
    { x: 3, y: 1 },
    { x: 0, y: 2 },
  ]);

  it('matches the hand-computed value and variance', () => {
    const r = ratio(m);
    expect(r.value).toBe(1);
    expect(r.unitVariance).toBeCloseTo(32 / 27, 12);
    expect(r.variance).toBeCloseTo(32 / 27 / 4, 12);
  });

  it('is the variance of a mean when every unit has y = 1', () => {
    const r = ratio(momentsOf([2, 4, 4, 4, 5, 5, 7, 9].map((x) => ({ x, y: 1 }))));
    expect(r.value).toBe(5);
    expect(r.variance).toBeCloseTo(32 / 7 / 8, 12); // sample variance 32/7 over 8 units
  });

  it('says NaN, not a number, with fewer than two units or no denominator', () => {
    expect(Number.isNaN(ratio(momentsOf([{ x: 1, y: 1 }])).variance)).toBe(true);
    expect(Number.isNaN(ratio(momentsOf([])).value)).toBe(true);
  });

  it('adds the variances of independent arms', () => {
    const d = difference(
      { value: 3, variance: 0.25, unitVariance: 1, units: 4, denominator: 4 },
      { value: 2, variance: 0.5, unitVariance: 1, units: 2, denominator: 2 },
    );
    expect(d).toEqual({ estimate: 1, variance: 0.75, relative: 0.5 });
  });
});

describe('mSPRT', () => {
  it('matches hand-computed mixture likelihood ratios', () => {
    // V = τ² = 1: Λ = sqrt(1/2)·exp(θ̂²/4).
    expect(msprt(1, 1, 1, 0.05).lambda).toBeCloseTo(Math.SQRT1_2 * Math.exp(0.25), 12);
    const r = msprt(3, 1, 1, 0.05);
    expect(r.lambda).toBeCloseTo(6.708842, 5);
    expect(r.pValue).toBeCloseTo(0.149057, 5);
    expect(r.reject).toBe(false);
    expect(msprt(1, 1, 1, 0.05).pValue).toBe(1);
  });

  it('rejects exactly where Λ reaches 1/α, the edge of the confidence sequence', () => {
    const h = csHalfWidth(1, 1, 0.05);
    expect(h).toBeCloseTo(Math.sqrt(2 * (2 * Math.log(20) + Math.log(2))), 12); // 3.656395
    expect(msprt(h + 1e-9, 1, 1, 0.05).reject).toBe(true);
    expect(msprt(h - 1e-6, 1, 1, 0.05).reject).toBe(false);
    expect(msprt(h, 1, 1, 0.05).lambda).toBeCloseTo(20, 6);
    const r = msprt(0.5, 1, 1, 0.05);
    expect([r.csLow, r.csHigh]).toEqual([0.5 - h, 0.5 + h]);
  });

  it('gives no test without a variance', () => {
    expect(Number.isNaN(msprt(1, 0, 1, 0.05).pValue)).toBe(true);
    expect(Number.isNaN(msprt(Number.NaN, 1, 1, 0.05).csLow)).toBe(true);
  });

  it('has a wider always-valid interval than the fixed one', () => {
    const ci = fixedCi(0.5, 0.01, 0.05);
    expect(ci.low).toBeCloseTo(0.304004, 5);
    expect(ci.high).toBeCloseTo(0.695996, 5);
    expect(csHalfWidth(0.01, 0.01, 0.05)).toBeGreaterThan(0.196);
  });
});

describe('power analysis', () => {
  it('matches the textbook z-test power and minimum detectable effect', () => {
    expect(fixedHorizonMde(1, 0.05, 0.8)).toBeCloseTo(2.801585, 5);
    expect(fixedHorizonPower(2.801585, 1, 0.05)).toBeCloseTo(0.8, 3);
    expect(fixedHorizonPower(0, 1, 0.05)).toBeCloseTo(0.05, 10);
    // Two arms of 1,000 with unit variance 4: V = 4·(2/1000), MDE = 2.8016·sqrt(0.008).
    expect(fixedHorizonMde(lookVariances(4, [{ control: 1000, treatment: 1000 }])[0] as number, 0.05, 0.8)).toBeCloseTo(
      0.250581,
      5,
    );
  });

  it('simulates the sequential test deterministically, below the fixed test at the same effect', () => {
    const variances = lookVariances(
      1,
      Array.from({ length: 28 }, (_, i) => ({ control: 100 * (i + 1), treatment: 100 * (i + 1) })),
    );
    const last = variances.at(-1) as number;
    const mde = fixedHorizonMde(last, 0.05, 0.8);
    const sim = { sims: 2000, seed: 7 };
    const p = sequentialPower(mde, variances, mde * mde, 0.05, sim);
    expect(sequentialPower(mde, variances, mde * mde, 0.05, sim)).toBe(p);
    expect(p).toBeGreaterThan(0.4);
    expect(p).toBeLessThan(0.8);
    expect(sequentialPower(0, variances, mde * mde, 0.05, sim)).toBeLessThan(0.05);
    const seqMde = sequentialMde(variances, mde * mde, 0.05, 0.8, { sims: 1000, seed: 7 });
    expect(seqMde).toBeGreaterThan(mde);
    expect(sequentialPower(seqMde, variances, mde * mde, 0.05, { sims: 1000, seed: 7 })).toBeGreaterThanOrEqual(0.8);
  });

  it('plans from a baseline: τ² is the fixed-horizon MDE squared', () => {
    const p = plan({
      unitVariance: 4,
      baselineUnits: 700,
      baselineDays: 7,
      shares: { control: 0.5, treatment: 0.5 },
      days: 20,
      alpha: 0.05,
      power: 0.8,
      sim: { sims: 500, seed: 1 },
    });
    expect(p.looks.at(-1)).toEqual({ control: 1000, treatment: 1000 });
    expect(p.fixedMde).toBeCloseTo(0.250581, 5);
    expect(p.tau2).toBeCloseTo(p.fixedMde ** 2, 12);
    expect(p.sequentialMde).toBeGreaterThan(p.fixedMde);
  });
});
