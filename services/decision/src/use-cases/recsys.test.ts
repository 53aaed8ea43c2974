import { readFileSync } from 'node:fs';
import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { defaultRecsysPolicyFile } from '../config.js';
import { assignVariant } from '../experiment.js';
import { parseRankingPolicy, variantPolicy } from '../ranking/policy.js';
import { rank } from '../ranking/rank.js';
import { parseRuleSet } from '../rules/load.js';
import { recsysChampion, recsysFixture } from '../testing.js';
import { checkRequest, checkRequestScores, checkScoresFit, recommend, recsysUseCase, recsysVariant } from './recsys.js';

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

// An experiment over users: the champion with the file's keys (among them a filter that drops the
// fixture's best-scored candidate), a variant ranking greedily (no filter, exploration or cap) with
// another fallback order, and one whose own model's scores rank.
const topScore = Math.max(...first.scores.scores);
const trial = parseRankingPolicy(
  `version: trial
fallback_order: item_views_count_7d
category_cap: 3
exploration_share: 0.1
filters: [{ id: best, when: { field: score, op: ">=", value: ${topScore} } }]
experiment:
  name: rank_trial
  variants:
    - { name: control, share: 0.4 }
    - name: greedy
      share: 0.3
      policy: { filters: [], exploration_share: 0, category_cap: null, fallback_order: item_clicks_count_7d }
    - { name: challenger, share: 0.3, model: recsys_rank_v2 }
`,
  recsysFeatureSet,
);
const withUser = (event: typeof first.event, user_id: string) => ({ ...event, request: { ...event.request, user_id } });
/** The first user id of the form U<n> that the trial puts in `variant`. */
const userIn = (variant: string) => {
  for (let n = 0; n < 1000; n++)
    if (recsysVariant(trial, withUser(first.event, `U${n}`)).name === variant) return `U${n}`;
  throw new Error(`no user in ${variant}`);
};

describe('recommendation experiments', () => {
  it("assigns each user by fraud's function: the same variant a rule file with the same experiment gives that id", () => {
    const fraudRules = parseRuleSet(
      `version: r
score_bands: [{ name: low, min: 0 }]
thresholds: { default: { decline: 0.9 } }
experiment:
  name: rank_trial
  variants:
    - { name: control, share: 0.4 }
    - { name: greedy, share: 0.3, thresholds: { default: { decline: 0.5 } } }
    - { name: challenger, share: 0.3, model: recsys_rank_v2 }
`,
      fraudFeatureSet,
    );
    const seen = new Map<string, number>();
    for (let n = 0; n < 3000; n++) {
      const user = `user-${n}`;
      const variant = recsysVariant(trial, withUser(first.event, user)).name;
      expect(variant).toBe(assignVariant(fraudRules.experiment, user).name);
      // Deterministic: the same user, another request, the same variant.
      expect(recsysVariant(trial, withUser(second.event, user)).name).toBe(variant);
      seen.set(variant, (seen.get(variant) ?? 0) + 1);
    }
    // The shares hold (±3 points: about 5 standard deviations at this n).
    expect(Math.abs((seen.get('control') ?? 0) / 3000 - 0.4)).toBeLessThan(0.03);
    expect(Math.abs((seen.get('greedy') ?? 0) / 3000 - 0.3)).toBeLessThan(0.03);
  });

  it("ranks with the variant's policy and records the variant", () => {
    const control = withUser(first.event, userIn('control'));
    const greedy = withUser(first.event, userIn('greedy'));
    const candidates = first.event.features.candidates.map((c, i) => ({ ...c, score: first.scores.scores[i] ?? null }));
    const k = first.event.request.k;
    const id = first.event.request.request_id;

    const recControl = recommend({ policy: trial, event: control, scores: first.scores, now: 1 });
    expect(recControl.experiment_variant).toBe('control');
    expect(recControl.items).toEqual(rank(trial, candidates, k, id).items);

    const variant = trial.experiment.variants.find((v) => v.name === 'greedy');
    if (!variant) throw new Error('no greedy variant');
    const recGreedy = recommend({ policy: trial, event: greedy, scores: first.scores, now: 1 });
    expect(recGreedy.experiment_variant).toBe('greedy');
    expect(recGreedy.rule_set_version).toBe('trial');
    // Greedy: the top k by score, no filter, cap or exploration; the control's list lacks the best (its filter).
    const byScore = [...candidates]
      .sort((a, b) => (b.score as number) - (a.score as number))
      .slice(0, k)
      .map((c) => c.item_id);
    expect(recGreedy.items.map((i) => i.item_id)).toEqual(byScore);
    expect(recGreedy.items.every((i) => i.reason_codes[0] === 'MODEL')).toBe(true);
    expect(recGreedy.items).toEqual(rank(variantPolicy(trial, variant), candidates, k, id).items);
    expect(recControl.items.map((i) => i.item_id)).not.toContain(byScore[0]);

    // Without scores the variant's fallback order ranks.
    const fallback = recommend({ policy: trial, event: greedy, scores: null, now: 1 });
    expect(fallback.items.every((i) => i.reason_codes[0] === 'ORDER:item_clicks_count_7d')).toBe(true);
  });

  it("waits for the variant's model's scores: the challenger's, not the champion's", () => {
    const useCase = recsysUseCase({ current: () => trial }, recsysFeatureSet);
    const challenger = withUser(first.event, userIn('challenger'));
    const control = withUser(first.event, userIn('control'));
    const shadow = { ...first.scores, shadow: true, model_name: 'recsys_rank_v2' };
    expect(useCase.assign(challenger, trial).matches(shadow)).toBe(true);
    expect(useCase.assign(challenger, trial).matches(first.scores)).toBe(false);
    expect(useCase.assign(control, trial).matches(shadow)).toBe(false);
    expect(useCase.assign(control, trial).matches(first.scores)).toBe(true);
    const rec = useCase.decide({ event: challenger, score: shadow, policy: trial, now: 1 });
    expect(rec).toMatchObject({ experiment_variant: 'challenger', model_name: 'recsys_rank_v2' });
  });

  it('without an experiment block every user is control, ranked by the file', () => {
    expect(plain.experiment).toEqual({
      name: 'none',
      variants: [{ name: 'control', share: 1, model: null, overrides: {} }],
    });
    expect(
      recommend({ policy: plain, event: withUser(first.event, 'anyone'), scores: null, now: 1 }).experiment_variant,
    ).toBe('control');
  });
});
