import { metricPlan } from './analysis/power.js';
import { EMPTY_MOMENTS, type Moments } from './analysis/ratio.js';
import type { UseCase } from './use-case.js';

export interface PlanSettings {
  alpha: number;
  power: number;
  /** Planned days of traffic. */
  days: number;
  baselineDays: number;
  powerSims: number;
}

export interface MetricPlan {
  tau2: number;
  mde: number;
}

/**
 * τ² and MDE per metric for one challenger, from the pooled baseline moments: the sequential MDE
 * (simulated) for the primary, the fixed one for the rest.
 */
export function planMetrics<M extends string>(
  useCase: UseCase<M>,
  baseline: Partial<Record<M, Moments>>,
  shares: { control: number; treatment: number },
  s: PlanSettings,
): Record<M, MetricPlan> {
  const out = {} as Record<M, MetricPlan>;
  for (const m of useCase.names) {
    const r = useCase.estimate(m, baseline[m] ?? EMPTY_MOMENTS);
    const input = {
      unitVariance: r.unitVariance,
      baselineUnits: r.units,
      baselineDays: s.baselineDays,
      shares,
      days: s.days,
      alpha: s.alpha,
      power: s.power,
      sim: { sims: s.powerSims, seed: 1 },
    };
    out[m] = metricPlan(input, m === useCase.primary);
  }
  return out;
}
