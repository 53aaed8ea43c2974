/**
 * Metrics of an experiment randomized by customer. Every figure is a ratio of sums over customers,
 * R = Σx / Σy (fraud money caught per transaction, declines per transaction, false positives per
 * genuine transaction), and customers, not transactions, are the independent units: one customer's
 * transactions all land in one variant and are correlated. The variance is the delta method's on
 * customer totals, so a customer with many transactions is not counted as many independent draws.
 */

/** Sums over the units (customers) of a variant: x and y per customer, their squares and product. */
export interface Moments {
  units: number;
  x: number;
  y: number;
  xx: number;
  yy: number;
  xy: number;
}

export const EMPTY_MOMENTS: Moments = Object.freeze({ units: 0, x: 0, y: 0, xx: 0, yy: 0, xy: 0 });

/** Moments of a list of per-unit (x, y) totals. */
export function momentsOf(units: readonly { x: number; y: number }[]): Moments {
  const m = { units: 0, x: 0, y: 0, xx: 0, yy: 0, xy: 0 };
  for (const u of units) addUnit(m, u.x, u.y);
  return m;
}

export function addUnit(m: Moments, x: number, y: number): void {
  m.units += 1;
  m.x += x;
  m.y += y;
  m.xx += x * x;
  m.yy += y * y;
  m.xy += x * y;
}

export function addMoments(a: Moments, b: Moments): Moments {
  return {
    units: a.units + b.units,
    x: a.x + b.x,
    y: a.y + b.y,
    xx: a.xx + b.xx,
    yy: a.yy + b.yy,
    xy: a.xy + b.xy,
  };
}

export interface RatioEstimate {
  /** Σx / Σy; NaN when Σy is 0. */
  value: number;
  /** Delta-method variance of the value; NaN with fewer than 2 units. */
  variance: number;
  /** Variance of one unit's linearized value, (x - R·y) / ȳ: the per-unit variance power analysis scales. */
  unitVariance: number;
  units: number;
  /** Σy: transactions (or genuine transactions, fraud money) the figure is over. */
  denominator: number;
}

/**
 * R = x̄/ȳ with Var(R) ≈ (s²x − 2R·sxy + R²·s²y) / (K·ȳ²), the sample (co)variances over K units
 * (Deng, Knoblich & Lu 2018, "Applying the delta method in metric analytics").
 */
export function ratio(m: Moments): RatioEstimate {
  const k = m.units;
  const value = m.y > 0 ? m.x / m.y : Number.NaN;
  if (k < 2 || !(m.y > 0)) return { value, variance: Number.NaN, unitVariance: Number.NaN, units: k, denominator: m.y };
  const mx = m.x / k;
  const my = m.y / k;
  const sxx = (m.xx - k * mx * mx) / (k - 1);
  const syy = (m.yy - k * my * my) / (k - 1);
  const sxy = (m.xy - k * mx * my) / (k - 1);
  // Rounding can take a zero variance a hair below 0.
  const unitVariance = Math.max(0, (sxx - 2 * value * sxy + value * value * syy) / (my * my));
  return { value, variance: unitVariance / k, unitVariance, units: k, denominator: m.y };
}

export interface Difference {
  /** treatment − control. */
  estimate: number;
  variance: number;
  /** estimate / control value. */
  relative: number;
}

/** The difference of two independent ratio estimates (the variants are disjoint sets of customers). */
export function difference(treatment: RatioEstimate, control: RatioEstimate): Difference {
  const estimate = treatment.value - control.value;
  return {
    estimate,
    variance: treatment.variance + control.variance,
    relative: control.value !== 0 ? estimate / control.value : Number.NaN,
  };
}
