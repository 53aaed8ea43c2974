import { FLAG_THRESHOLD, SCORE_BINS } from './queries.js';

/** ClickHouse's JSON of the models queries (64-bit counts arrive as strings). */
export interface HistogramRow {
  model_name: string;
  model_version: string;
  bin: number | string;
  n: number | string;
  deciding: number | string;
}
export interface LabelledRow {
  model_name: string;
  model_version: string;
  bin: number | string;
  is_fraud: number | string;
  n: number | string;
}
export interface AgreementRow {
  deciding_model: string;
  model_name: string;
  model_version: string;
  n: number | string;
  mean_abs_diff: number | null;
  agree: number | null;
  both_flag: number | string;
  deciding_only: number | string;
  other_only: number | string;
  correlation: number | null;
}

/** The page draws the score distributions in this many bins over [0, 1]. */
export const DISPLAY_BINS = 20;

/** Label-based figures of one model over the labelled events of the range. */
export interface RealizedPerformance {
  labelled: number;
  frauds: number;
  /** ROC AUC from the score bins (ties within a bin count half); null without both classes. */
  rocAuc: number | null;
  /** Average precision over the bins' thresholds, highest first; null without frauds. */
  averagePrecision: number | null;
  /** At FLAG_THRESHOLD: null when nothing is flagged (precision) or no fraud is labelled (recall). */
  precision: number | null;
  recall: number | null;
}

export interface ModelTraffic {
  /** `name@version`. */
  model: string;
  /** Its alias in the registry now (null: none, or not in the registry). */
  alias: string | null;
  scored: number;
  /** Scores logged as deciding (not shadow): the champion's, while it was champion. */
  deciding: number;
  /** Share of its scores in each of DISPLAY_BINS bins of [0, 1]. */
  distribution: number[];
  /** Share of its scores at or above FLAG_THRESHOLD. */
  flagged: number;
  performance: RealizedPerformance | null;
}

export interface Agreement {
  /** The deciding model the other is compared with, on the events both scored. */
  deciding: string;
  model: string;
  n: number;
  meanAbsDiff: number | null;
  /** Share of events where both flag or both pass at FLAG_THRESHOLD. */
  agree: number | null;
  bothFlag: number;
  decidingOnly: number;
  otherOnly: number;
  correlation: number | null;
}

export interface ModelsLive {
  from: number;
  to: number;
  threshold: number;
  models: ModelTraffic[];
  agreement: Agreement[];
}

const num = (v: number | string | null | undefined): number => Number(v ?? 0);
const finite = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v);

/**
 * ROC AUC, average precision, precision and recall from per-bin counts of frauds and genuine events
 * (index = bin, SCORE_BINS of them). The bins are the thresholds: events in one bin are ties.
 */
export function binnedPerformance(frauds: readonly number[], genuine: readonly number[]): RealizedPerformance {
  const F = frauds.reduce((a, b) => a + b, 0);
  const G = genuine.reduce((a, b) => a + b, 0);
  let auc = 0;
  let genuineBelow = G;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let recallBefore = 0;
  let flaggedTp = 0;
  let flaggedFp = 0;
  const flagFrom = Math.round(FLAG_THRESHOLD * SCORE_BINS);
  for (let i = Math.max(frauds.length, genuine.length) - 1; i >= 0; i -= 1) {
    const f = frauds[i] ?? 0;
    const g = genuine[i] ?? 0;
    genuineBelow -= g;
    auc += f * (genuineBelow + g / 2);
    tp += f;
    fp += g;
    if (f > 0 && F > 0) {
      const recall = tp / F;
      ap += (recall - recallBefore) * (tp / (tp + fp));
      recallBefore = recall;
    }
    if (i >= flagFrom) {
      flaggedTp += f;
      flaggedFp += g;
    }
  }
  return {
    labelled: F + G,
    frauds: F,
    rocAuc: F > 0 && G > 0 ? auc / (F * G) : null,
    averagePrecision: F > 0 ? ap : null,
    precision: flaggedTp + flaggedFp > 0 ? flaggedTp / (flaggedTp + flaggedFp) : null,
    recall: F > 0 ? flaggedTp / F : null,
  };
}

const ROLE_ORDER = ['champion', 'challenger', 'shadow', 'archived'];

/**
 * Every model that scored in the range, those that decided first, then by their alias in the
 * registry now (champion, challenger, shadow, archived), with its score distribution and, when
 * labels arrived, its realized performance.
 */
export function modelsLive(
  range: { from: number; to: number },
  histogram: readonly HistogramRow[],
  labelled: readonly LabelledRow[],
  agreement: readonly AgreementRow[],
  aliasOf: (ref: string) => string | null,
): ModelsLive {
  const models = new Map<string, { fine: number[]; scored: number; deciding: number }>();
  for (const r of histogram) {
    const ref = `${r.model_name}@${r.model_version}`;
    let m = models.get(ref);
    if (!m) {
      m = { fine: Array(SCORE_BINS).fill(0), scored: 0, deciding: 0 };
      models.set(ref, m);
    }
    const b = Math.min(Math.max(num(r.bin), 0), SCORE_BINS - 1);
    m.fine[b] = (m.fine[b] ?? 0) + num(r.n);
    m.scored += num(r.n);
    m.deciding += num(r.deciding);
  }
  const labels = new Map<string, { frauds: number[]; genuine: number[] }>();
  for (const r of labelled) {
    const ref = `${r.model_name}@${r.model_version}`;
    let l = labels.get(ref);
    if (!l) {
      l = { frauds: Array(SCORE_BINS).fill(0), genuine: Array(SCORE_BINS).fill(0) };
      labels.set(ref, l);
    }
    const b = Math.min(Math.max(num(r.bin), 0), SCORE_BINS - 1);
    const into = num(r.is_fraud) === 1 ? l.frauds : l.genuine;
    into[b] = (into[b] ?? 0) + num(r.n);
  }
  const per = SCORE_BINS / DISPLAY_BINS;
  const flagFrom = Math.round(FLAG_THRESHOLD * SCORE_BINS);
  const rank = (alias: string | null) => (alias === null ? ROLE_ORDER.length : ROLE_ORDER.indexOf(alias));
  const out: ModelTraffic[] = [...models.entries()].map(([model, m]) => {
    const l = labels.get(model);
    return {
      model,
      alias: aliasOf(model),
      scored: m.scored,
      deciding: m.deciding,
      distribution: Array.from(
        { length: DISPLAY_BINS },
        (_, i) => m.fine.slice(i * per, (i + 1) * per).reduce((a, b) => a + b, 0) / (m.scored || 1),
      ),
      flagged: m.fine.slice(flagFrom).reduce((a, b) => a + b, 0) / (m.scored || 1),
      performance: l ? binnedPerformance(l.frauds, l.genuine) : null,
    };
  });
  out.sort(
    (a, b) =>
      Number(b.deciding > 0) - Number(a.deciding > 0) ||
      rank(a.alias) - rank(b.alias) ||
      b.scored - a.scored ||
      a.model.localeCompare(b.model),
  );
  return {
    ...range,
    threshold: FLAG_THRESHOLD,
    models: out,
    agreement: agreement.map((r) => ({
      deciding: r.deciding_model,
      model: `${r.model_name}@${r.model_version}`,
      n: num(r.n),
      meanAbsDiff: finite(r.mean_abs_diff),
      agree: finite(r.agree),
      bothFlag: num(r.both_flag),
      decidingOnly: num(r.deciding_only),
      otherOnly: num(r.other_only),
      correlation: finite(r.correlation),
    })),
  };
}
