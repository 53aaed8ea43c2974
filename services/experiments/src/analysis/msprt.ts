import { normalQuantile } from './normal.js';

/**
 * The mixture sequential probability ratio test (mSPRT; Robbins 1970, Johari, Pekelis & Walsh 2017,
 * "Always valid inference"). The estimate θ̂ of an effect θ is approximately N(θ, V). Against
 * H0: θ = 0, mixing the likelihood ratio over θ ~ N(0, τ²) gives
 *
 *   Λ = sqrt(V / (V + τ²)) · exp(θ̂² τ² / (2 V (V + τ²)))
 *
 * Under H0 the sequence of Λ over looks is a nonnegative martingale with mean 1, so by Ville's
 * inequality P(Λ ever reaches 1/α) <= α: rejecting the first time Λ >= 1/α keeps the false-positive
 * rate at most α however often one looks (every day, every hour), and p = min over looks of 1/Λ is
 * an always-valid p-value. Inverting the test gives an always-valid confidence sequence.
 */

export interface MsprtResult {
  lambda: number;
  /** 1/Λ at this look, at most 1 (the running minimum over looks is the always-valid p-value). */
  pValue: number;
  /** Λ >= 1/α. */
  reject: boolean;
  /** The confidence sequence θ̂ ± halfWidth: covers θ at every look at once with probability >= 1 − α. */
  csLow: number;
  csHigh: number;
  halfWidth: number;
}

const NONE: MsprtResult = {
  lambda: Number.NaN,
  pValue: Number.NaN,
  reject: false,
  csLow: Number.NaN,
  csHigh: Number.NaN,
  halfWidth: Number.NaN,
};

/**
 * The half-width of the confidence sequence: the |θ̂ − θ0| at which Λ = 1/α,
 * sqrt( V (V + τ²) / τ² · (2 ln(1/α) + ln((V + τ²) / V)) ).
 */
export function csHalfWidth(variance: number, tau2: number, alpha: number): number {
  const v = variance;
  return Math.sqrt(((v * (v + tau2)) / tau2) * (2 * Math.log(1 / alpha) + Math.log((v + tau2) / v)));
}

export function msprt(estimate: number, variance: number, tau2: number, alpha: number): MsprtResult {
  if (!(variance > 0) || !(tau2 > 0) || !Number.isFinite(estimate)) return NONE;
  const v = variance;
  const logLambda = 0.5 * Math.log(v / (v + tau2)) + (estimate * estimate * tau2) / (2 * v * (v + tau2));
  const lambda = Math.exp(logLambda);
  const halfWidth = csHalfWidth(v, tau2, alpha);
  return {
    lambda,
    pValue: Math.min(1, Math.exp(-logLambda)),
    reject: logLambda >= Math.log(1 / alpha),
    csLow: estimate - halfWidth,
    csHigh: estimate + halfWidth,
    halfWidth,
  };
}

/** The fixed-horizon (1 − α) normal interval θ̂ ± z₁₋α/₂·√V: valid only when looked at once. */
export function fixedCi(estimate: number, variance: number, alpha: number): { low: number; high: number } {
  if (!(variance >= 0) || !Number.isFinite(estimate)) return { low: Number.NaN, high: Number.NaN };
  const h = normalQuantile(1 - alpha / 2) * Math.sqrt(variance);
  return { low: estimate - h, high: estimate + h };
}
