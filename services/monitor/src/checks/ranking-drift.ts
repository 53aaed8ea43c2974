import { recsysFeatureSet } from '@pipeline/feature-sets';
import type { Figure } from '../figures.js';
import type { CandidateVectors } from '../store.js';
import type { Thresholds } from '../thresholds.js';
import { buildProfile, driftFigures } from './drift.js';

/** The column of feature `i` over a list of vectors. */
const column = (vectors: readonly number[][], i: number) => vectors.map((v) => v[i] ?? Number.NaN);

/**
 * Drift of every feature of a candidate feature set: the same PSI and KS as fraud's features
 * (`buildProfile`, `driftFigures`), each candidate vector one row, against the reference's vectors.
 */
export function candidateDriftFigures(
  names: readonly string[],
  reference: readonly number[][],
  current: readonly number[][],
  t: Thresholds,
): Figure[] {
  return names.flatMap((name, i) => driftFigures(buildProfile(name, column(reference, i)), column(current, i), t));
}

export interface RankingDriftResult {
  model: { model_name: string; model_version: string };
  variant: string;
  window: { start: number; end: number; referenceStart: number; referenceEnd: number };
  figures: Figure[];
}

export interface RankingDriftReads {
  /** The window's requests with their ranking model and variant (store.candidateVectors). */
  current(from: number, to: number): Promise<CandidateVectors[]>;
  /** The reference window's vectors (store.referenceCandidateVectors). */
  reference(from: number, to: number): Promise<number[][]>;
  /** The model's reference window: MONITOR_REFERENCE_FROM/TO or its training window; undefined: none known. */
  referenceWindow(m: { model_name: string; model_version: string }): Promise<{ from: number; to: number } | undefined>;
}

/**
 * The drift check of the ranking models' candidate features (`recsys_core`), declared beside the
 * fraud checks: per ranking model version and variant, every feature's PSI and KS over the window's
 * logged candidate vectors against the reference window's. Alerts; no retraining trigger (the
 * retraining job trains the fraud models).
 */
export const rankingDriftCheck = {
  kind: 'DRIFT' as const,
  retrains: false,
  featureSet: recsysFeatureSet,
  async run(reads: RankingDriftReads, start: number, end: number, t: Thresholds): Promise<RankingDriftResult[]> {
    const groups = new Map<string, { model: RankingDriftResult['model']; variant: string; vectors: number[][] }>();
    for (const r of await reads.current(start, end)) {
      const key = `${r.model_name}@${r.model_version}/${r.variant}`;
      let g = groups.get(key);
      if (!g) {
        g = { model: { model_name: r.model_name, model_version: r.model_version }, variant: r.variant, vectors: [] };
        groups.set(key, g);
      }
      g.vectors.push(...r.vectors);
    }
    const out: RankingDriftResult[] = [];
    const references = new Map<string, number[][]>();
    for (const g of groups.values()) {
      const ref = await reads.referenceWindow(g.model);
      if (!ref) continue;
      const refKey = `${ref.from}-${ref.to}`;
      let vectors = references.get(refKey);
      if (!vectors) {
        vectors = await reads.reference(ref.from, ref.to);
        references.set(refKey, vectors);
      }
      out.push({
        model: g.model,
        variant: g.variant,
        window: { start, end, referenceStart: ref.from, referenceEnd: ref.to },
        figures: candidateDriftFigures(rankingDriftCheck.featureSet.names, vectors, g.vectors, t),
      });
    }
    return out;
  },
};
