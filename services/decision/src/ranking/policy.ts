import { z } from 'zod';
import { type ExperimentOf, experimentSchema, NO_EXPERIMENT } from '../experiment.js';
import type { FeatureSetLike } from '../feature-set.js';
import { compileCondition, conditionSchema, probability, type RawCondition } from '../rules/conditions.js';
import type { Condition } from '../rules/types.js';
import { parseYamlFile } from '../rules/yaml-file.js';

/** What orders a list: the keys a policy file sets and a variant may replace. */
export interface RankingRules {
  /** A candidate matching any filter is left out of the list; its id is counted. */
  filters: { id: string; when: Condition }[];
  /** At most this many items of one category in a list; null: no cap. */
  categoryCap: number | null;
  /** This share of a list's slots goes to candidates drawn at random from below the cut. */
  explorationShare: number;
  /** Without scores (the model missed its budget), candidates are ordered by this feature, highest first. */
  fallbackOrder: { feature: string; index: number };
}

/**
 * A variant of a ranking experiment (users assigned by `assignVariant`, as fraud's customers are):
 * the model whose scores rank for it (null: the champion's) and the ranking keys it replaces.
 */
export interface RankingVariant {
  name: string;
  share: number;
  model: string | null;
  /** The policy's keys this variant ranks with instead (empty: the file's). */
  overrides: Partial<RankingRules>;
}

/**
 * A ranking policy (recommendations): what the decision engine does with a request's scored
 * candidates, declared in a YAML file beside the fraud rules (`rules/recsys.yaml`) and validated
 * against the feature set the candidates' vectors come from.
 */
export interface RankingPolicy extends RankingRules {
  version: string;
  /** Without an `experiment:` block: one variant, `control`, the champion's scores and the file's keys. */
  experiment: ExperimentOf<RankingVariant>;
}

/** The policy a variant ranks with: the file's, with the variant's keys in place of the file's. */
export function variantPolicy(policy: RankingPolicy, variant: RankingVariant): RankingPolicy {
  return { ...policy, ...variant.overrides };
}

function rankingKeys(featureNames: readonly string[]) {
  const condition = conditionSchema(['score'], featureNames);
  return {
    filters: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[a-z0-9_]+$/, 'filter ids are lower_snake_case'),
          description: z.string().optional(),
          when: condition,
        }),
      )
      .superRefine((filters, ctx) => {
        const seen = new Set<string>();
        filters.forEach((f, i) => {
          if (seen.has(f.id))
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate filter id '${f.id}'` });
          seen.add(f.id);
        });
      }),
    category_cap: z.number().int().min(1).nullable(),
    exploration_share: probability,
    fallback_order: z
      .string()
      .refine((name) => featureNames.includes(name), { message: 'not a feature of the feature set' }),
  };
}

function policySchema(featureNames: readonly string[]) {
  const keys = rankingKeys(featureNames);
  // A variant's `policy:` holds any of the file's ranking keys; the ones it leaves out are the file's.
  const overrides = z.strictObject({
    filters: keys.filters.optional(),
    category_cap: keys.category_cap.optional(),
    exploration_share: keys.exploration_share.optional(),
    fallback_order: keys.fallback_order.optional(),
  });
  return z.strictObject({
    version: z.union([z.string().min(1), z.number()]).transform(String),
    filters: keys.filters.default([]),
    category_cap: keys.category_cap.default(null),
    exploration_share: keys.exploration_share.default(0),
    fallback_order: keys.fallback_order,
    experiment: experimentSchema({ policy: overrides.optional() }).optional(),
  });
}

type RawKeys = {
  filters?: { id: string; when: RawCondition }[] | undefined;
  category_cap?: number | null | undefined;
  exploration_share?: number | undefined;
  fallback_order?: string | undefined;
};

function compileKeys(raw: RawKeys, featureSet: FeatureSetLike): Partial<RankingRules> {
  const out: Partial<RankingRules> = {};
  if (raw.filters !== undefined)
    out.filters = raw.filters.map((f) => ({ id: f.id, when: compileCondition(f.when, featureSet) }));
  if (raw.category_cap !== undefined) out.categoryCap = raw.category_cap;
  if (raw.exploration_share !== undefined) out.explorationShare = raw.exploration_share;
  if (raw.fallback_order !== undefined)
    out.fallbackOrder = { feature: raw.fallback_order, index: featureSet.names.indexOf(raw.fallback_order) };
  return out;
}

/** Parses and validates a policy file; a bad one is refused with a RuleFileError naming its line. */
export function parseRankingPolicy(text: string, featureSet: FeatureSetLike, file = '(policy)'): RankingPolicy {
  const raw = parseYamlFile(text, policySchema(featureSet.names), file);
  const variants: RankingVariant[] = raw.experiment?.variants.map((v) => ({
    name: v.name,
    share: v.share,
    model: v.model ?? null,
    overrides: compileKeys(v.policy ?? {}, featureSet),
  })) ?? [{ name: 'control', share: 1, model: null, overrides: {} }];
  return {
    version: raw.version,
    ...(compileKeys(raw, featureSet) as RankingRules),
    experiment: { name: raw.experiment?.name ?? NO_EXPERIMENT, variants },
  };
}
