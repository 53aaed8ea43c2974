import type { RecsysQuality } from '@pipeline/sink/queries/recsys-quality';
import { type Figure, judged } from '../figures.js';
import type { Thresholds } from '../thresholds.js';

/** A figure's relative fall from its reference: 0.25 is a quarter lower; NaN without a reference value. */
function drop(value: number | null, reference: number | null | undefined): number {
  if (value === null || reference === null || reference === undefined || !(reference > 0)) return Number.NaN;
  return 1 - value / reference;
}

/**
 * Label-based quality of one ranking model and variant (recommendations): CTR and NDCG@10 over the
 * window's lists, from the sink's quality view (`recsysQuality`), judged against the declared floors
 * and against their relative fall from the same model and variant over the reference days. CTR needs
 * `min_recommendations` lists, NDCG@10 `min_clicked` requests with a click, on both sides for the drops.
 */
export function rankingFigures(current: RecsysQuality, reference: RecsysQuality | undefined, t: Thresholds): Figure[] {
  const r = t.ranking;
  const rule = (value: number) => (value > 0 ? value : null);
  const enoughLists = current.recommendations >= r.min_recommendations;
  const enoughClicked = current.recommendations_clicked >= r.min_clicked;
  const refLists = reference?.recommendations ?? 0;
  const refClicked = reference?.recommendations_clicked ?? 0;
  const base = { kind: 'PERFORMANCE' as const, subject: '', nReference: 0 };
  const value = (v: number | null) => v ?? Number.NaN;
  return [
    judged(
      { ...base, metric: 'ctr', value: value(current.ctr), n: current.recommendations },
      'min',
      rule(r.min_ctr),
      enoughLists,
    ),
    judged(
      { ...base, metric: 'ndcg_at_10', value: value(current.ndcg_at_10), n: current.recommendations_clicked },
      'min',
      rule(r.min_ndcg_at_10),
      enoughClicked,
    ),
    judged(
      {
        ...base,
        metric: 'ctr_drop',
        value: drop(current.ctr, reference?.ctr),
        n: current.recommendations,
        nReference: refLists,
      },
      'max',
      rule(r.max_ctr_drop),
      enoughLists && refLists >= r.min_recommendations,
    ),
    judged(
      {
        ...base,
        metric: 'ndcg_at_10_drop',
        value: drop(current.ndcg_at_10, reference?.ndcg_at_10),
        n: current.recommendations_clicked,
        nReference: refClicked,
      },
      'max',
      rule(r.max_ndcg_drop),
      enoughClicked && refClicked >= r.min_clicked,
    ),
    judged(
      { ...base, metric: 'recall_at_10', value: value(current.recall_at_10), n: current.recommendations_clicked },
      'min',
      null,
      false,
    ),
  ];
}

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The whole UTC days of a window (the quality view is daily), or undefined when it holds none or does not end on a day. */
export function rankingDays(start: number, end: number): { from: number; to: number } | undefined {
  const from = Math.ceil(start / DAY) * DAY;
  if (end % DAY !== 0 || end - from < DAY) return undefined;
  return { from, to: end };
}

export interface RankingResult {
  model: { model_name: string; model_version: string };
  variant: string;
  window: { start: number; end: number; referenceStart: number; referenceEnd: number };
  figures: Figure[];
}

/**
 * The ranking check as the monitor runs it (a declaration beside the scores-based checks): per
 * ranking model version and variant that ranked lists in the window's days, `rankingFigures`
 * against the `baselineDays` before. Lists the rules ranked alone have no model and are not judged.
 * Breaches alert; they do not ask for a retraining (the retraining job trains the fraud models).
 */
export const rankingCheck = {
  kind: 'PERFORMANCE' as const,
  retrains: false,
  async run(
    quality: (period: { from: string; to: string }) => Promise<RecsysQuality[]>,
    start: number,
    end: number,
    baselineDays: number,
    t: Thresholds,
  ): Promise<RankingResult[]> {
    const days = rankingDays(start, end);
    if (!days) return [];
    const refFrom = days.from - baselineDays * DAY;
    const current = await quality({ from: day(days.from), to: day(days.to - DAY) });
    const reference = await quality({ from: day(refFrom), to: day(days.from - DAY) });
    const key = (q: RecsysQuality) => `${q.model_name}@${q.model_version}/${q.experiment_variant}`;
    const refByKey = new Map(reference.map((q) => [key(q), q]));
    return current
      .filter((q) => q.model_name !== null && q.model_version !== null)
      .map((q) => ({
        model: { model_name: q.model_name as string, model_version: q.model_version as string },
        variant: q.experiment_variant,
        window: { start: days.from, end: days.to, referenceStart: refFrom, referenceEnd: days.from },
        figures: rankingFigures(q, refByKey.get(key(q)), t),
      }));
  },
};
