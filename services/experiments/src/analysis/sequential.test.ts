import { Random } from '@pipeline/loadtest';
import { describe, expect, it } from 'vitest';
import { compare } from './metrics.js';
import { normalQuantile } from './normal.js';
import { lookVariances, plan, sequentialPower } from './power.js';
import { addMoments, addUnit, EMPTY_MOMENTS, type Moments, ratio } from './ratio.js';

/**
 * Experiments simulated customer by customer, as the job sees them: customers arrive every day, each
 * lands in one arm by a coin flip, makes 1-5 transactions; 5 % of transactions are frauds with
 * lognormal amounts (heavy-tailed money), stopped with the arm's catch probability. The metric is
 * fraud money stopped per transaction, judged by the daily mSPRT over cumulative data.
 */
const DAYS = 28;
const CUSTOMERS_PER_DAY = 200;
const ALPHA = 0.05;

function day(rng: Random, catchProbability: { control: number; treatment: number }) {
  const out = { control: { ...EMPTY_MOMENTS }, treatment: { ...EMPTY_MOMENTS } };
  for (let c = 0; c < CUSTOMERS_PER_DAY; c++) {
    const arm = rng.chance(0.5) ? 'treatment' : 'control';
    const transactions = rng.intBetween(1, 5);
    let caught = 0;
    for (let t = 0; t < transactions; t++) {
      if (rng.chance(0.05) && rng.chance(catchProbability[arm])) caught += rng.lognormal(4, 0.8);
    }
    addUnit(out[arm], caught, transactions);
  }
  return out;
}

/** One experiment looked at daily; whether the mSPRT rejected at some look, and whether a daily fixed z-test would have. */
function run(seed: number, tau2: number, catchProbability: { control: number; treatment: number }) {
  const rng = new Random(seed, 3);
  let control: Moments = EMPTY_MOMENTS;
  let treatment: Moments = EMPTY_MOMENTS;
  let sequential = false;
  let naive = false;
  const z = normalQuantile(1 - ALPHA / 2);
  for (let d = 0; d < DAYS; d++) {
    const today = day(rng, catchProbability);
    control = addMoments(control, today.control);
    treatment = addMoments(treatment, today.treatment);
    const c = compare('fraud_caught_per_txn', control, treatment, tau2, ALPHA);
    if (c.test.reject) sequential = true;
    if (Math.abs(c.difference.estimate) / Math.sqrt(c.difference.variance) > z) naive = true;
  }
  return { sequential, naive };
}

/** The plan the job would make: unit variance from a week of pre-experiment traffic (another seed). */
function planned() {
  const rng = new Random(999, 3);
  let baseline: Moments = EMPTY_MOMENTS;
  for (let d = 0; d < 7; d++) {
    const today = day(rng, { control: 0.5, treatment: 0.5 });
    baseline = addMoments(baseline, addMoments(today.control, today.treatment));
  }
  const r = ratio(baseline);
  return plan({
    unitVariance: r.unitVariance,
    baselineUnits: r.units,
    baselineDays: 7,
    shares: { control: 0.5, treatment: 0.5 },
    days: DAYS,
    alpha: ALPHA,
    power: 0.8,
    sim: { sims: 4000, seed: 11 },
  });
}

describe('the daily mSPRT on simulated experiments', () => {
  const p = planned();
  const RUNS = 400;

  it(`A/A: rejects in at most α + 0.03 of ${RUNS} seeded runs looked at daily, where a daily z-test rejects far more`, () => {
    let sequential = 0;
    let naive = 0;
    for (let s = 0; s < RUNS; s++) {
      const r = run(1000 + s, p.tau2, { control: 0.5, treatment: 0.5 });
      if (r.sequential) sequential += 1;
      if (r.naive) naive += 1;
    }
    // Binomial standard error at 5 % over 400 runs is 1.1 %: +3 points is about 3 standard errors.
    expect(sequential / RUNS).toBeLessThanOrEqual(ALPHA + 0.03);
    // The reason for the mSPRT: peeking 28 times at a fixed test multiplies its false positives.
    expect(naive / RUNS).toBeGreaterThan(2 * ALPHA);
  });

  it(`an effect planted at the planned MDE is found as often as predicted (±0.05 over ${RUNS} runs)`, () => {
    // The catch probability that makes the challenger's money stopped per transaction larger by the MDE.
    const meanAmount = Math.exp(4 + 0.8 ** 2 / 2);
    const treatment = 0.5 + p.sequentialMde / (0.05 * meanAmount);
    // Catching more fraud money also spreads it more: the prediction takes each arm's own variance.
    const predicted = sequentialPower(
      p.sequentialMde,
      lookVariances({ control: unitVariance(0.5), treatment: unitVariance(treatment) }, p.looks),
      p.tau2,
      ALPHA,
      { sims: 4000, seed: 5 },
    );
    expect(predicted).toBeGreaterThan(0.4);
    expect(predicted).toBeLessThan(0.9);
    let found = 0;
    for (let s = 0; s < RUNS; s++) if (run(5000 + s, p.tau2, { control: 0.5, treatment }).sequential) found += 1;
    // Binomial standard error near 60 % over 400 runs is 2.5 %: 0.05 is two of them.
    expect(Math.abs(found / RUNS - predicted)).toBeLessThanOrEqual(0.05);
    // Planning's assumption, the control's variance in both arms, overstates the power of this effect.
    expect(
      sequentialPower(p.sequentialMde, lookVariances(unitVariance(0.5), p.looks), p.tau2, ALPHA, {
        sims: 4000,
        seed: 5,
      }),
    ).toBeGreaterThan(predicted + 0.1);
  });
});

/** The per-unit variance of an arm catching with probability q, from 100 days of one arm's customers. */
function unitVariance(q: number): number {
  const rng = new Random(4242, 3);
  let all: Moments = EMPTY_MOMENTS;
  for (let d = 0; d < 100; d++) {
    const today = day(rng, { control: q, treatment: q });
    all = addMoments(all, addMoments(today.control, today.treatment));
  }
  return ratio(all).unitVariance;
}
