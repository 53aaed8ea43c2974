/**
 * Confidence-based performance estimation (CBPE): before labels arrive, a calibrated score p is the
 * probability that its transaction is a fraud, so the expected confusion counts of the decisions
 * taken are sums of scores. Flagged = any action but APPROVE.
 *
 *   E[TP] = Σ_flagged p      E[FP] = Σ_flagged (1 − p)      E[FN] = Σ_approved p
 *   precision ≈ E[TP] / #flagged     recall ≈ E[TP] / Σ p     money caught ≈ Σ_flagged p · amount
 *   AUC ≈ Σ_{i≠j} p_i (1 − p_j) [s_i > s_j] / Σ_{i≠j} p_i (1 − p_j)   (ties count a half)
 *
 * (ratios of expectations: accurate for the thousands of rows a day brings). The estimate is only as
 * good as the calibration, which is why each is checked against the realized figure once labels come.
 */

export interface ScoredDecision {
  score: number;
  flagged: boolean;
  amount: number;
}

export interface Performance {
  rows: number;
  /** Frauds (expected, or counted). */
  frauds: number;
  precision: number;
  recall: number;
  auc: number;
  /** Fraud money stopped per transaction, minor units. */
  caughtPerTransaction: number;
}

/** AUC of weights: each row is a positive with weight w⁺ and a negative with weight w⁻ (0/1 for labels, p/1−p for CBPE). */
function weightedAuc(rows: readonly { score: number; pos: number; neg: number }[]): number {
  const sorted = [...rows].sort((a, b) => a.score - b.score);
  let negBelow = 0;
  let concordant = 0;
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    let pos = 0;
    let neg = 0;
    let self = 0;
    for (
      ;
      j < sorted.length &&
      (sorted[j] as (typeof sorted)[number]).score === (sorted[i] as (typeof sorted)[number]).score;
      j++
    ) {
      const r = sorted[j] as (typeof sorted)[number];
      pos += r.pos;
      neg += r.neg;
      self += r.pos * r.neg;
    }
    // A row is not paired with itself: within a tie, pairs i≠j only.
    concordant += pos * negBelow + 0.5 * (pos * neg - self);
    negBelow += neg;
    i = j;
  }
  let totalPos = 0;
  let totalNeg = 0;
  let selfPairs = 0;
  for (const r of rows) {
    totalPos += r.pos;
    totalNeg += r.neg;
    selfPairs += r.pos * r.neg;
  }
  const pairs = totalPos * totalNeg - selfPairs;
  return pairs > 0 ? concordant / pairs : Number.NaN;
}

function summarize(
  rows: readonly ScoredDecision[],
  fraudWeight: (r: ScoredDecision, i: number) => number,
): Performance {
  let tp = 0;
  let flagged = 0;
  let frauds = 0;
  let caught = 0;
  const weighted = rows.map((r, i) => {
    const w = fraudWeight(r, i);
    frauds += w;
    if (r.flagged) {
      tp += w;
      flagged += 1;
      caught += w * r.amount;
    }
    return { score: r.score, pos: w, neg: 1 - w };
  });
  return {
    rows: rows.length,
    frauds,
    precision: flagged > 0 ? tp / flagged : Number.NaN,
    recall: frauds > 0 ? tp / frauds : Number.NaN,
    auc: weightedAuc(weighted),
    caughtPerTransaction: rows.length > 0 ? caught / rows.length : Number.NaN,
  };
}

/** The expected performance from calibrated scores alone. */
export function estimatePerformance(rows: readonly ScoredDecision[]): Performance {
  return summarize(rows, (r) => Math.min(1, Math.max(0, r.score)));
}

/** The realized performance once the labels are known (the same figures, counted). */
export function realizedPerformance(rows: readonly ScoredDecision[], isFraud: readonly boolean[]): Performance {
  if (isFraud.length !== rows.length) throw new RangeError('one label per row');
  return summarize(rows, (_, i) => (isFraud[i] ? 1 : 0));
}
