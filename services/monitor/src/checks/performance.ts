import { type Figure, judged } from '../figures.js';
import { averagePrecision, rocAuc } from '../stats.js';
import type { Thresholds } from '../thresholds.js';

/** What ClickHouse computed over the labelled rows of the window (see store.ts). */
export interface PerformanceCounts {
  labelled: number;
  frauds: number;
  tp: number;
  fp: number;
  fn: number;
  cardPrecision: number;
}

/**
 * Label-based performance of one model over the labelled transactions of the window: ROC AUC and
 * average precision from the (score, label) pairs; precision, recall at the operating threshold and
 * card precision@k from ClickHouse's counts. Judged only with `min_labelled` rows and `min_frauds`
 * frauds; a minimum of 0 switches a rule off.
 */
export function performanceFigures(
  scores: readonly number[],
  labels: readonly (0 | 1)[],
  counts: PerformanceCounts,
  t: Thresholds,
): Figure[] {
  const p = t.performance;
  const enough = counts.labelled >= p.min_labelled && counts.frauds >= p.min_frauds;
  const base = { kind: 'PERFORMANCE' as const, subject: '', n: counts.labelled, nReference: 0 };
  const rule = (value: number) => (value > 0 ? value : null);
  const precision = counts.tp + counts.fp === 0 ? Number.NaN : counts.tp / (counts.tp + counts.fp);
  const recall = counts.tp + counts.fn === 0 ? Number.NaN : counts.tp / (counts.tp + counts.fn);
  return [
    judged({ ...base, metric: 'roc_auc', value: rocAuc(scores, labels) }, 'min', rule(p.min_roc_auc), enough),
    judged(
      { ...base, metric: 'average_precision', value: averagePrecision(scores, labels) },
      'min',
      rule(p.min_average_precision),
      enough,
    ),
    judged({ ...base, metric: 'precision', value: precision }, 'min', rule(p.min_precision), enough),
    judged({ ...base, metric: 'recall', value: recall }, 'min', rule(p.min_recall), enough),
    judged(
      { ...base, metric: `card_precision_at_${p.top_k}`, value: counts.cardPrecision },
      'min',
      rule(p.min_card_precision),
      enough,
    ),
    judged({ ...base, metric: 'frauds', value: counts.frauds }, 'min', null, false),
  ];
}
