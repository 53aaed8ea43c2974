import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { RuleFileError } from '../errors.js';
import { parseRankingPolicy, variantPolicy } from './policy.js';

const shipped = fileURLToPath(new URL('../../rules/recsys.yaml', import.meta.url));

function refusal(text: string): RuleFileError {
  try {
    parseRankingPolicy(text, recsysFeatureSet, 'policy.yaml');
  } catch (error) {
    if (error instanceof RuleFileError) return error;
    throw error;
  }
  throw new Error('expected the policy to be refused');
}

describe('parseRankingPolicy', () => {
  it('loads the shipped policy against the recsys_core feature set', () => {
    const policy = parseRankingPolicy(readFileSync(shipped, 'utf8'), recsysFeatureSet, shipped);
    expect(policy.version).toBe('2026-12-03.2');
    expect(policy.filters.map((f) => f.id)).toEqual(['unseen_for_a_week', 'purchased']);
    expect(policy.categoryCap).toBe(3);
    expect(policy.explorationShare).toBe(0.1);
    expect(policy.fallbackOrder).toEqual({
      feature: 'item_views_count_7d',
      index: recsysFeatureSet.names.indexOf('item_views_count_7d'),
    });
  });

  it('defaults to no filter, no cap and no exploration', () => {
    const policy = parseRankingPolicy('version: v1\nfallback_order: item_clicks_count_1d\n', recsysFeatureSet);
    expect(policy).toMatchObject({ filters: [], categoryCap: null, explorationShare: 0 });
  });

  it('refuses a filter on a feature the set does not have, naming its line', () => {
    const error = refusal(
      'version: v1\nfallback_order: item_views_count_7d\nfilters:\n  - id: bought\n    when: { feature: user_item_purchases_count_7d, op: ">", value: 0 }\n',
    );
    expect(error.line).toBe(5);
    expect(error.message).toContain("unknown feature 'user_item_purchases_count_7d'");
  });

  it('refuses transaction fields, which a ranking has none of', () => {
    const error = refusal(
      'version: v1\nfallback_order: item_views_count_7d\nfilters:\n  - id: big\n    when: { field: transaction.amount_minor, op: ">", value: 1 }\n',
    );
    expect(error.message).toContain("unknown field 'transaction.amount_minor' (known: score)");
  });

  it('refuses a fallback order that is not a feature, an exploration share over 1, a zero cap and a duplicate filter', () => {
    expect(refusal('version: v1\nfallback_order: popularity\n').message).toContain(
      'fallback_order: not a feature of the feature set',
    );
    expect(refusal('version: v1\nfallback_order: item_views_count_7d\nexploration_share: 1.5\n').line).toBe(3);
    expect(refusal('version: v1\nfallback_order: item_views_count_7d\ncategory_cap: 0\n').line).toBe(3);
    const twice = refusal(
      'version: v1\nfallback_order: item_views_count_7d\nfilters:\n  - { id: a, when: { field: score, op: "<", value: 0.1 } }\n  - { id: a, when: { field: score, op: "<", value: 0.2 } }\n',
    );
    expect(twice.message).toContain("duplicate filter id 'a'");
  });
});

describe('a ranking experiment', () => {
  const head =
    'version: v1\nfallback_order: item_views_count_7d\nexploration_share: 0.1\nexperiment:\n  name: t\n  variants:\n';

  it('reads variants with their model and the keys they replace', () => {
    const policy = parseRankingPolicy(
      `${head}    - { name: control, share: 0.5 }\n    - { name: b, share: 0.5, model: m2, policy: { exploration_share: 0, filters: [{ id: low, when: { field: score, op: "<", value: 0.1 } }] } }\n`,
      recsysFeatureSet,
    );
    expect(policy.experiment.name).toBe('t');
    const [control, b] = policy.experiment.variants;
    expect(control).toEqual({ name: 'control', share: 0.5, model: null, overrides: {} });
    expect(b?.model).toBe('m2');
    expect(b?.overrides.explorationShare).toBe(0);
    expect(b?.overrides.filters?.map((f) => f.id)).toEqual(['low']);
    if (!b) throw new Error('no variant b');
    const resolved = variantPolicy(policy, b);
    expect(resolved).toMatchObject({ version: 'v1', explorationShare: 0, fallbackOrder: policy.fallbackOrder });
    expect(variantPolicy(policy, control as typeof b)).toEqual(policy);
  });

  it('refuses shares not adding up to 1, a duplicate variant, an unknown key or feature in a variant', () => {
    expect(refusal(`${head}    - { name: control, share: 0.5 }\n`).message).toContain(
      'variant shares add up to 0.5, not 1',
    );
    expect(refusal(`${head}    - { name: a, share: 0.5 }\n    - { name: a, share: 0.5 }\n`).message).toContain(
      "duplicate variant name 'a'",
    );
    expect(refusal(`${head}    - { name: a, share: 1, policy: { version: v2 } }\n`).message).toContain(
      'experiment.variants.0.policy',
    );
    const unknown = refusal(`${head}    - { name: a, share: 1, policy: { fallback_order: popularity } }\n`);
    expect(unknown.message).toContain('not a feature of the feature set');
    expect(unknown.line).toBe(7);
    expect(
      refusal(`${head}    - { name: a, share: 1, thresholds: { default: { decline: 0.5 } } }\n`).message,
    ).toContain('experiment.variants.0');
  });
});
