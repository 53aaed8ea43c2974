import type { ExperimentFigure } from '@pipeline/topology';
import type { Performance } from './analysis/cbpe.js';
import type { MetricComparison } from './analysis/metrics.js';
import type { ResultRow, Window } from './store.js';
import type { UseCase } from './use-case.js';

/** What every row of one look shares. */
export interface LookKey {
  experiment: string;
  asOf: number;
  control: string;
}

const nan = Number.NaN;

/**
 * A comparison as a row of experiment_results: the challenger's (`treatment`) with the difference,
 * its intervals and p-value, or the control's (`control`) with its own figures only.
 */
export function comparisonRow<M extends string>(
  useCase: UseCase<M>,
  key: LookKey,
  variant: string,
  c: MetricComparison<M>,
  window: Window,
  mde: number,
  breached: boolean,
  own: 'treatment' | 'control',
): ResultRow {
  const mine = own === 'treatment' ? c.treatment : c.control;
  const vsControl = own === 'treatment';
  return {
    experiment: key.experiment,
    asOf: key.asOf,
    variant,
    control: key.control,
    metric: c.metric,
    kind: useCase.metrics[c.metric].kind,
    window,
    units: mine.units,
    n: mine.denominator,
    value: mine.value,
    controlValue: c.control.value,
    difference: vsControl ? c.difference.estimate : nan,
    ciLow: vsControl ? c.ci.low : nan,
    ciHigh: vsControl ? c.ci.high : nan,
    csLow: vsControl ? c.test.csLow : nan,
    csHigh: vsControl ? c.test.csHigh : nan,
    pValue: vsControl ? c.test.pValue : nan,
    mde,
    realized: nan,
    breached,
  };
}

/** The comparisons the decision message carries (the use case's figure kinds). */
export function figures<M extends string>(
  useCase: UseCase<M>,
  comparisons: readonly MetricComparison<M>[],
): ExperimentFigure[] {
  return comparisons
    .filter((c) => useCase.figureKinds.includes(useCase.metrics[c.metric].kind))
    .map((c) => ({
      metric: c.metric,
      value: c.treatment.value,
      control_value: c.control.value,
      difference: c.difference.estimate,
      cs_low: c.test.csLow,
      cs_high: c.test.csHigh,
    }));
}

const PERFORMANCE = ['precision', 'recall', 'auc', 'caughtPerTransaction'] as const;
const performanceName = (m: (typeof PERFORMANCE)[number]) => (m === 'caughtPerTransaction' ? 'caught_per_txn' : m);

/** A label-free performance estimate as ESTIMATE rows (`prefix` + metric), with the realized figure when labels are known. */
export function performanceRows(
  key: LookKey,
  variant: string,
  window: Window,
  prefix: string,
  expected: Performance,
  realized?: Performance,
): ResultRow[] {
  return PERFORMANCE.map((m) => ({
    experiment: key.experiment,
    asOf: key.asOf,
    variant,
    control: key.control,
    metric: `${prefix}${performanceName(m)}`,
    kind: 'ESTIMATE' as const,
    window,
    units: 0,
    n: expected.rows,
    value: expected[m],
    controlValue: nan,
    difference: nan,
    ciLow: nan,
    ciHigh: nan,
    csLow: nan,
    csHigh: nan,
    pValue: nan,
    mde: nan,
    realized: realized ? realized[m] : nan,
    breached: false,
  }));
}
