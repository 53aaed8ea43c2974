import { readFileSync } from 'node:fs';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { defaultRecsysPolicyFile } from '../config.js';
import { parseRankingPolicy } from '../ranking/policy.js';
import { recsysChampion, recsysFixture } from '../testing.js';
import { checkRequest, checkRequestScores, checkScoresFit, recommend, recsysUseCase } from './recsys.js';

const policy = parseRankingPolicy(readFileSync(defaultRecsysPolicyFile, 'utf8'), recsysFeatureSet);
// Without filters, cap or exploration: the order is the scores' (or the fallback feature's) alone.
const plain = parseRankingPolicy('version: plain\nfallback_order: item_views_count_7d\n', recsysFeatureSet);
const [first, second] = recsysFixture(5);
if (!first || !second) throw new Error('the model fixture has fewer than two requests');
const views = recsysFeatureSet.names.indexOf('item_views_count_7d');

describe('recommend', () => {
  it("ranks the request's candidates by the champion's scores, score k for candidate k, with its provenance", () => {
    const rec = recommend({ policy: plain, event: first.event, scores: first.scores, now: 42 });
    const byScore = first.event.features.candidates
      .map((c, i) => ({ item_id: c.item_id, score: first.scores.scores[i] as number }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 5);
    expect(rec.items.map(({ item_id, score }) => ({ item_id, score }))).toEqual(byScore);
    expect(rec.items.map((i) => i.position)).toEqual([0, 1, 2, 3, 4]);
    expect(rec.items.every((i) => i.reason_codes[0] === 'MODEL')).toBe(true);
    expect(rec).toMatchObject({
      request_id: first.event.request.request_id,
      user_id: first.event.request.user_id,
      event_time: first.event.request.event_time,
      path: 'MODEL_AND_RULES',
      rule_set_version: 'plain',
      model_name: recsysChampion().name,
      model_version: recsysChampion().version,
      feature_set_version: recsysFeatureSet.version,
      experiment_variant: 'control',
      decided_at: 42,
    });
  });

  it('without scores ranks on the fallback order, RULES_ONLY, no model named', () => {
    const rec = recommend({ policy: plain, event: second.event, scores: null, now: 1 });
    const byViews = second.event.features.candidates
      .map((c) => c.values[views] as number)
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => b - a)
      .slice(0, 5);
    const viewsOf = (id: string) =>
      second.event.features.candidates.find((c) => c.item_id === id)?.values[views] as number;
    expect(rec.items.map((i) => viewsOf(i.item_id))).toEqual(byViews);
    expect(rec.items.every((i) => i.score === null && i.reason_codes[0] === 'ORDER:item_views_count_7d')).toBe(true);
    expect(rec).toMatchObject({ path: 'RULES_ONLY', model_name: null, model_version: null });
  });

  it('applies the shipped policy: at most 3 of a category, the same list on a replay', () => {
    const rec = recommend({ policy, event: first.event, scores: first.scores, now: 1 });
    const again = recommend({ policy, event: first.event, scores: first.scores, now: 2 });
    expect(again.items).toEqual(rec.items);
    const categoryOf = new Map(first.event.features.candidates.map((c) => [c.item_id, c.category]));
    const perCategory = new Map<string, number>();
    for (const i of rec.items) {
      const c = categoryOf.get(i.item_id) as string;
      perCategory.set(c, (perCategory.get(c) ?? 0) + 1);
    }
    expect(Math.max(...perCategory.values())).toBeLessThanOrEqual(3);
    expect(rec.rule_set_version).toBe(policy.version);
  });
});

describe('the recsys checks', () => {
  it('accepts the fixture and names what is wrong with bad requests and scores', () => {
    expect(checkRequest(first.event, recsysFeatureSet)).toBeUndefined();
    expect(checkRequestScores(first.scores, recsysFeatureSet)).toBeUndefined();
    expect(checkScoresFit(first.event, first.scores)).toBeUndefined();

    const otherSet = { ...first.event, features: { ...first.event.features, feature_set: 'fraud_core' } };
    expect(checkRequest(otherSet, recsysFeatureSet)?.message).toBe(
      `feature set fraud_core v${recsysFeatureSet.version} is not recsys_core v${recsysFeatureSet.version} that the policy is written against`,
    );
    const noK = { ...first.event, request: { ...first.event.request, k: 0 } };
    expect(checkRequest(noK, recsysFeatureSet)?.name).toBe('MalformedMessageError');
    const nan = { ...first.scores, scores: [Number.NaN, ...first.scores.scores.slice(1)] };
    expect(checkRequestScores(nan, recsysFeatureSet)?.message).toBe('scores[0] is NaN, not a finite number');
    const short = { ...first.scores, scores: first.scores.scores.slice(1) };
    expect(checkScoresFit(first.event, short)?.message).toBe(
      `scores of ${first.scores.model_name} ${first.scores.model_version} for request ${first.scores.request_id}: 49 scores, the request has 50 candidates`,
    );
  });

  it("waits for the champion's scores of the request's candidate count only", () => {
    const useCase = recsysUseCase({ current: () => policy }, recsysFeatureSet);
    const { matches } = useCase.assign(first.event, policy);
    expect(matches(first.scores)).toBe(true);
    expect(matches({ ...first.scores, shadow: true, model_name: 'recsys_rank_v2' })).toBe(false);
    expect(matches({ ...first.scores, scores: first.scores.scores.slice(1) })).toBe(false);
  });
});
