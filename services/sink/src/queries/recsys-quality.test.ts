import { describe, expect, it } from 'vitest';
import { qualityFigures } from './recsys-quality.js';

describe('qualityFigures', () => {
  const sums = {
    model_name: 'recsys_rank',
    model_version: '1',
    experiment_variant: 'control',
    recommendations: 4,
    items_shown: 20,
    clicks: 3,
    recommendations_clicked: 2,
    ndcg_at_10_sum: 1.5,
    recall_at_10_sum: 1,
  };

  it('divides the summed counts: CTR over items shown, NDCG and recall over the requests with a click', () => {
    expect(qualityFigures(sums)).toEqual({
      model_name: 'recsys_rank',
      model_version: '1',
      experiment_variant: 'control',
      recommendations: 4,
      items_shown: 20,
      clicks: 3,
      recommendations_clicked: 2,
      ctr: 0.15,
      ndcg_at_10: 0.75,
      recall_at_10: 0.5,
    });
  });

  it('gives null, not 0 or NaN, where nothing was shown or clicked', () => {
    const none = {
      ...sums,
      items_shown: 0,
      clicks: 0,
      recommendations_clicked: 0,
      ndcg_at_10_sum: 0,
      recall_at_10_sum: 0,
    };
    expect(qualityFigures(none)).toMatchObject({ ctr: null, ndcg_at_10: null, recall_at_10: null });
  });
});
