import { fixedCi, type MsprtResult, msprt } from './msprt.js';
import { type Difference, difference, type Moments, type RatioEstimate, ratio } from './ratio.js';

/**
 * The figures an experiment is judged on, declared once: the SQL that sums them (store.ts), the
 * results table, the README and the verdict all read this list.
 */
export const METRICS = {
  /** Primary: money of labelled frauds the variant stopped (any action but APPROVE), per decided transaction. */
  fraud_caught_per_txn: { kind: 'PRIMARY', better: 'higher', labelled: true, scale: 1 },
  /** Share of the fraud money stopped (money recall): shown, not judged; its denominator differs by chance. */
  fraud_money_recall: { kind: 'INFO', better: 'higher', labelled: true, scale: 1 },
  /** Declined transactions per decided transaction. */
  decline_rate: { kind: 'GUARDRAIL', better: 'lower', labelled: false, scale: 1 },
  /** Transactions sent to review per decided transaction. */
  review_rate: { kind: 'GUARDRAIL', better: 'lower', labelled: false, scale: 1 },
  /** Milliseconds from features computed to decision taken, mean per transaction. */
  latency_ms: { kind: 'GUARDRAIL', better: 'lower', labelled: false, scale: 1 },
  /** Genuine transactions not approved, per 1,000 genuine transactions. */
  fp_per_1000_genuine: { kind: 'GUARDRAIL', better: 'lower', labelled: true, scale: 1000 },
} as const;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];
export const GUARDRAILS = METRIC_NAMES.filter((m) => METRICS[m].kind === 'GUARDRAIL');
export const PRIMARY: MetricName = 'fraud_caught_per_txn';

/** A ratio estimate in the metric's unit (fp_per_1000_genuine is scaled by 1,000). */
export function estimate(metric: MetricName, m: Moments): RatioEstimate {
  const r = ratio(m);
  const k = METRICS[metric].scale;
  return { ...r, value: r.value * k, variance: r.variance * k * k, unitVariance: r.unitVariance * k * k };
}

/** One metric compared between a challenger and the control; `M` names the use case's metrics. */
export interface MetricComparison<M extends string = MetricName> {
  metric: M;
  better: 'higher' | 'lower';
  control: RatioEstimate;
  treatment: RatioEstimate;
  difference: Difference;
  /** Fixed-horizon (1 − α) interval of the difference: for display, valid for one look only. */
  ci: { low: number; high: number };
  /** mSPRT at this look: always-valid p-value and confidence sequence of the difference. */
  test: MsprtResult;
  /** The mixing variance the test used (the planned MDE squared). */
  tau2: number;
}

/** Two ratio estimates of any metric compared: the difference, its fixed interval and the mSPRT at this look. */
export function compareEstimates<M extends string>(
  metric: M,
  better: 'higher' | 'lower',
  c: RatioEstimate,
  t: RatioEstimate,
  tau2: number,
  alpha: number,
): MetricComparison<M> {
  const d = difference(t, c);
  return {
    metric,
    better,
    control: c,
    treatment: t,
    difference: d,
    ci: fixedCi(d.estimate, d.variance, alpha),
    test: msprt(d.estimate, d.variance, tau2, alpha),
    tau2,
  };
}

export function compare(
  metric: MetricName,
  control: Moments,
  treatment: Moments,
  tau2: number,
  alpha: number,
): MetricComparison {
  return compareEstimates(
    metric,
    METRICS[metric].better,
    estimate(metric, control),
    estimate(metric, treatment),
    tau2,
    alpha,
  );
}
