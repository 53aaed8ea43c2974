import { Random } from '@pipeline/loadtest';
import { msprt } from './msprt.js';
import { normalCdf, normalQuantile } from './normal.js';

/**
 * Power analysis before the start: with what probability the test finds an effect of a given size
 * by the end, and the smallest effect it finds with the wanted power (the minimum detectable effect).
 */

export interface Look {
  /** Customers (units) seen in each arm by this look, cumulative. */
  control: number;
  treatment: number;
}

/**
 * V = s²_c/n_c + s²_t/n_t at each look. Planning knows only the baseline's s², so it assumes the
 * same for both arms; an effect that also changes the variance changes the power (see the README).
 */
export function lookVariances(
  unitVariance: number | { control: number; treatment: number },
  looks: readonly Look[],
): number[] {
  const s = typeof unitVariance === 'number' ? { control: unitVariance, treatment: unitVariance } : unitVariance;
  return looks.map((l) => s.control / l.control + s.treatment / l.treatment);
}

/** Power of one two-sided z-test at level α looked at once, with variance V. */
export function fixedHorizonPower(effect: number, variance: number, alpha: number): number {
  const z = normalQuantile(1 - alpha / 2);
  const d = Math.abs(effect) / Math.sqrt(variance);
  return normalCdf(d - z) + normalCdf(-d - z);
}

/** (z₁₋α/₂ + z_power)·√V: the effect a single z-test at the horizon finds with the given power. */
export function fixedHorizonMde(variance: number, alpha: number, power: number): number {
  return (normalQuantile(1 - alpha / 2) + normalQuantile(power)) * Math.sqrt(variance);
}

export interface Simulation {
  sims: number;
  seed: number;
}

/**
 * Probability that the mSPRT rejects at some look when the true effect is `effect`. The estimates
 * at the looks are a Brownian motion in information time: with I_k = 1/V_k, θ̂_k = θ + B(I_k)/I_k, so
 * each simulated path draws one independent normal increment per look. Seeded: the same inputs give
 * the same figure, and effects compared with the same seed use the same paths (a monotone curve).
 */
export function sequentialPower(
  effect: number,
  variances: readonly number[],
  tau2: number,
  alpha: number,
  sim: Simulation,
): number {
  const rng = new Random(sim.seed, 1);
  let rejected = 0;
  for (let s = 0; s < sim.sims; s++) {
    let brownian = 0;
    let info = 0;
    for (const v of variances) {
      const next = 1 / v;
      brownian += Math.sqrt(Math.max(0, next - info)) * rng.normal();
      info = next;
      if (msprt(effect + brownian / info, v, tau2, alpha).reject) {
        rejected += 1;
        break;
      }
    }
  }
  return rejected / sim.sims;
}

/** The smallest effect the mSPRT finds with probability `power` by the last look (bisection, same paths throughout). */
export function sequentialMde(
  variances: readonly number[],
  tau2: number,
  alpha: number,
  power: number,
  sim: Simulation,
): number {
  const last = variances.at(-1);
  if (last === undefined || !(last > 0)) return Number.NaN;
  let low = 0;
  let high = 2 * fixedHorizonMde(last, alpha, power);
  while (sequentialPower(high, variances, tau2, alpha, sim) < power) high *= 2;
  for (let i = 0; i < 25; i++) {
    const mid = (low + high) / 2;
    if (sequentialPower(mid, variances, tau2, alpha, sim) >= power) high = mid;
    else low = mid;
  }
  return high;
}

export interface PlanInput {
  /** Per-unit variance of the metric (RatioEstimate.unitVariance from the baseline). */
  unitVariance: number;
  /** Customers seen in the baseline window ... */
  baselineUnits: number;
  /** ... of this many days; the plan assumes the same number of new customers per day (an upper bound: customers return). */
  baselineDays: number;
  shares: { control: number; treatment: number };
  /** Looks, one a day, up to the horizon. */
  days: number;
  alpha: number;
  power: number;
  sim: Simulation;
}

export interface Plan {
  looks: Look[];
  /** Effect (treatment − control, metric units) a single test at the horizon finds with the wanted power. */
  fixedMde: number;
  /** The mixing variance τ² of the mSPRT: the fixed-horizon MDE squared, effects of that size are what it is tuned for. */
  tau2: number;
  /** Effect the daily mSPRT finds with the wanted power by the horizon: the price of peeking, larger than fixedMde. */
  sequentialMde: number;
}

export function plan(input: PlanInput): Plan {
  const perDay = input.baselineUnits / input.baselineDays;
  const looks = Array.from({ length: input.days }, (_, i) => ({
    control: Math.max(1, perDay * (i + 1) * input.shares.control),
    treatment: Math.max(1, perDay * (i + 1) * input.shares.treatment),
  }));
  const variances = lookVariances(input.unitVariance, looks);
  const last = variances.at(-1) ?? Number.NaN;
  const fixedMde = fixedHorizonMde(last, input.alpha, input.power);
  const tau2 = fixedMde * fixedMde;
  if (!(tau2 > 0)) return { looks, fixedMde, tau2, sequentialMde: Number.NaN };
  return {
    looks,
    fixedMde,
    tau2,
    sequentialMde: sequentialMde(variances, tau2, input.alpha, input.power, input.sim),
  };
}

/**
 * τ² and MDE of one metric of a challenger: the primary metric's sequential MDE (simulated), the
 * others' fixed-horizon MDE at the last look. Every use case's figures are planned by this.
 */
export function metricPlan(input: PlanInput, primary: boolean): { tau2: number; mde: number } {
  if (primary) {
    const p = plan(input);
    return { tau2: p.tau2, mde: p.sequentialMde };
  }
  const perDay = input.baselineUnits / input.baselineDays;
  const last = lookVariances(input.unitVariance, [
    { control: perDay * input.days * input.shares.control, treatment: perDay * input.days * input.shares.treatment },
  ])[0] as number;
  const mde = last > 0 ? fixedHorizonMde(last, input.alpha, input.power) : Number.NaN;
  return { tau2: mde * mde, mde };
}
