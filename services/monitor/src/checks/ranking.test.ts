import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { RecsysQuality } from '@pipeline/sink/queries/recsys-quality';
import { describe, expect, it } from 'vitest';
import { verdict } from '../figures.js';
import { parseThresholds } from '../thresholds.js';
import { rankingCheck, rankingDays, rankingFigures } from './ranking.js';

const t = parseThresholds(
  { ranking: { min_recommendations: 100, min_clicked: 20, min_ctr: 0.02, max_ctr_drop: 0.3, max_ndcg_drop: 0.3 } },
  fraudFeatureSet.names,
);
const DAY = 86_400_000;

function quality(over: Partial<RecsysQuality> = {}): RecsysQuality {
  return {
    model_name: 'recsys_rank',
    model_version: '1',
    experiment_variant: 'control',
    recommendations: 1000,
    items_shown: 10_000,
    clicks: 500,
    recommendations_clicked: 300,
    ctr: 0.05,
    ndcg_at_10: 0.4,
    recall_at_10: 0.5,
    ...over,
  };
}
const value = (figures: ReturnType<typeof rankingFigures>, metric: string) => figures.find((f) => f.metric === metric);

describe('ranking quality', () => {
  it('judges CTR and NDCG@10 within their floor and against the reference days', () => {
    const figures = rankingFigures(quality(), quality({ ctr: 0.055, ndcg_at_10: 0.42 }), t);
    expect(figures.map((f) => f.metric)).toEqual(['ctr', 'ndcg_at_10', 'ctr_drop', 'ndcg_at_10_drop', 'recall_at_10']);
    expect(value(figures, 'ctr_drop')?.value).toBeCloseTo(1 - 0.05 / 0.055, 12);
    expect(value(figures, 'ndcg_at_10')?.judged).toBe(false); // min_ndcg_at_10 0: rule off
    expect(verdict(figures)).toBe(false);
  });

  it('breaches on a CTR below its floor and on NDCG@10 falling by more than the allowed share', () => {
    const low = rankingFigures(quality({ ctr: 0.01 }), undefined, t);
    expect(value(low, 'ctr')).toMatchObject({ breached: true, threshold: 0.02 });
    expect(value(low, 'ctr_drop')?.judged).toBe(false); // no reference
    const fell = rankingFigures(quality({ ndcg_at_10: 0.2 }), quality(), t);
    expect(value(fell, 'ndcg_at_10_drop')).toMatchObject({
      value: 0.5,
      breached: true,
      threshold: 0.3,
      nReference: 300,
    });
    expect(value(fell, 'ctr_drop')?.breached).toBe(false);
  });

  it('does not judge below the minimum lists, nor without a click', () => {
    const few = rankingFigures(
      quality({ recommendations: 50, recommendations_clicked: 5, ctr: 0.001, ndcg_at_10: 0.01 }),
      quality(),
      t,
    );
    expect(verdict(few)).toBeUndefined();
    const none = rankingFigures(
      quality({ recommendations_clicked: 0, clicks: 0, ctr: 0, ndcg_at_10: null }),
      quality(),
      t,
    );
    expect(value(none, 'ndcg_at_10')?.value).toBeNaN();
    expect(value(none, 'ctr')?.breached).toBe(true);
  });

  it('runs over whole UTC days only, per model and variant, leaving out rules-only lists', async () => {
    const end = Date.UTC(2026, 2, 10);
    expect(rankingDays(end - DAY, end)).toEqual({ from: end - DAY, to: end });
    expect(rankingDays(end - DAY - 3_600_000, end)).toEqual({ from: end - DAY, to: end });
    expect(rankingDays(end - DAY, end - 3_600_000)).toBeUndefined();
    expect(rankingDays(end - 3_600_000, end)).toBeUndefined();

    const asked: { from: string; to: string }[] = [];
    const results = await rankingCheck.run(
      async (period) => {
        asked.push(period);
        return [quality(), quality({ model_name: null, model_version: null, experiment_variant: 'control' })];
      },
      end - 2 * DAY,
      end,
      7,
      t,
    );
    expect(asked).toEqual([
      { from: '2026-03-08', to: '2026-03-09' },
      { from: '2026-03-01', to: '2026-03-07' },
    ]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      model: { model_name: 'recsys_rank', model_version: '1' },
      variant: 'control',
      window: { start: end - 2 * DAY, end, referenceStart: end - 9 * DAY, referenceEnd: end - 2 * DAY },
    });
    expect(rankingCheck.retrains).toBe(false);
  });

  it('refuses a negative or over-1 ranking threshold', () => {
    expect(() => parseThresholds({ ranking: { max_ctr_drop: 1.5 } }, fraudFeatureSet.names)).toThrow(
      /ranking.max_ctr_drop must be <= 1/,
    );
    expect(() => parseThresholds({ ranking: { min_clicked: -1 } }, fraudFeatureSet.names)).toThrow(
      /ranking.min_clicked must be >= 0/,
    );
  });
});
