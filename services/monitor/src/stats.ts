/**
 * The statistics the monitor judges by, as plain functions over arrays. Where ClickHouse computes the
 * same figure (precision and recall at a threshold, card precision@k), the integration tests hold the
 * two to each other; ROC AUC and average precision are held to scikit-learn.
 */

/** Cut points at the reference's deciles (or `bins` quantiles), duplicates dropped; NaN ignored. */
export function quantileEdges(reference: readonly number[], bins = 10): number[] {
  const sorted = reference.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))] as number;
    // An edge at the minimum would leave an always-empty first bin.
    if (v > (edges.at(-1) ?? (sorted[0] as number))) edges.push(v);
  }
  return edges;
}

/**
 * Counts per bin: bin i holds values below edges[i] (and at or above edges[i-1]); the last finite
 * bin holds values at or above the last edge; one more bin at the end counts NaN (a change in the
 * share of undefined values is drift too).
 */
export function binCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (const v of values) {
    if (Number.isNaN(v)) {
      counts[edges.length + 1] = (counts[edges.length + 1] as number) + 1;
      continue;
    }
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v < (edges[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  return counts;
}

/**
 * Population stability index of `current` against `reference` over the same bins:
 * Σ (c − r) · ln(c / r) over bin shares, each share floored at `floor` so an empty bin stays finite.
 * Conventional reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 large shift.
 */
export function psi(reference: readonly number[], current: readonly number[], floor = 1e-4): number {
  const r = reference.reduce((a, b) => a + b, 0);
  const c = current.reduce((a, b) => a + b, 0);
  if (r === 0 || c === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max((reference[i] as number) / r, floor);
    const q = Math.max((current[i] ?? 0) / c, floor);
    total += (q - p) * Math.log(q / p);
  }
  return total;
}

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical CDFs (NaN ignored). */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = a.filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  const y = b.filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  if (x.length === 0 || y.length === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] as number, y[j] as number);
    // Step past every copy of v in both samples before comparing: ties move both CDFs at once.
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** ROC AUC as the Mann–Whitney statistic with average ranks for ties (what scikit-learn computes). */
export function rocAuc(scores: readonly number[], labels: readonly (0 | 1 | boolean)[]): number {
  const order = scores.map((_, i) => i).sort((p, q) => (scores[p] as number) - (scores[q] as number));
  let positives = 0;
  let rankSum = 0;
  let k = 0;
  while (k < order.length) {
    let end = k;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[k] as number]) end++;
    const rank = (k + end) / 2 + 1;
    for (let m = k; m <= end; m++) {
      if (labels[order[m] as number]) {
        positives++;
        rankSum += rank;
      }
    }
    k = end + 1;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision, scikit-learn's definition: Σ (R_n − R_{n−1}) · P_n over the distinct scores
 * from the highest down (tied scores form one step).
 */
export function averagePrecision(scores: readonly number[], labels: readonly (0 | 1 | boolean)[]): number {
  const order = scores.map((_, i) => i).sort((p, q) => (scores[q] as number) - (scores[p] as number));
  const positives = labels.reduce<number>((n, l) => n + (l ? 1 : 0), 0);
  if (positives === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let k = 0;
  while (k < order.length) {
    let end = k;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[k] as number]) end++;
    let stepTp = 0;
    for (let m = k; m <= end; m++) if (labels[order[m] as number]) stepTp++;
    tp += stepTp;
    seen += end - k + 1;
    if (stepTp > 0) ap += (stepTp / positives) * (tp / seen);
    k = end + 1;
  }
  return ap;
}

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Flagged means score ≥ threshold, as in the confusion_by_threshold view. */
export function confusionAt(
  scores: readonly number[],
  labels: readonly (0 | 1 | boolean)[],
  threshold: number,
): Confusion {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  scores.forEach((s, i) => {
    const flagged = s >= threshold;
    if (labels[i]) flagged ? c.tp++ : c.fn++;
    else flagged ? c.fp++ : c.tn++;
  });
  return c;
}

/** Precision and recall from confusion counts; NaN where undefined (nothing flagged, no positives). */
export function precisionRecall(c: Confusion): { precision: number; recall: number } {
  return {
    precision: c.tp + c.fp === 0 ? Number.NaN : c.tp / (c.tp + c.fp),
    recall: c.tp + c.fn === 0 ? Number.NaN : c.tp / (c.tp + c.fn),
  };
}

export interface CardDayRow {
  /** Any day key, e.g. 'YYYY-MM-DD' of the event time (UTC). */
  day: string;
  card: string;
  score: number;
  isFraud: boolean;
}

/**
 * Card precision@k: each day, the cards ranked by their highest score that day (ties by card id),
 * and the share of truly compromised ones (at least one fraud that day) among the top k; the mean
 * over days. A day with fewer than k cards is judged over the cards it has.
 */
export function cardPrecisionAtK(rows: readonly CardDayRow[], k = 100): number {
  const days = new Map<string, Map<string, { score: number; fraud: boolean }>>();
  for (const r of rows) {
    let cards = days.get(r.day);
    if (!cards) {
      cards = new Map();
      days.set(r.day, cards);
    }
    const card = cards.get(r.card);
    if (card) {
      card.score = Math.max(card.score, r.score);
      card.fraud ||= r.isFraud;
    } else cards.set(r.card, { score: r.score, fraud: r.isFraud });
  }
  if (days.size === 0) return Number.NaN;
  let total = 0;
  for (const cards of days.values()) {
    const ranked = [...cards.entries()].sort(
      (a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    );
    const top = ranked.slice(0, k);
    total += top.filter(([, c]) => c.fraud).length / top.length;
  }
  return total / days.size;
}
