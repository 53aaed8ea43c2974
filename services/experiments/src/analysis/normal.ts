import jStat from 'jstat';

/** P(Z <= z) for a standard normal Z. */
export const normalCdf = (z: number): number => jStat.normal.cdf(z, 0, 1);

/** The z with P(Z <= z) = p. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile of ${p}: p must be in (0, 1)`);
  return jStat.normal.inv(p, 0, 1);
}
