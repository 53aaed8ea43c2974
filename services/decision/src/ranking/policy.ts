import { z } from 'zod';
import type { FeatureSetLike } from '../feature-set.js';
import { compileCondition, conditionSchema, probability } from '../rules/conditions.js';
import type { Condition } from '../rules/types.js';
import { parseYamlFile } from '../rules/yaml-file.js';

/**
 * A ranking policy (recommendations): what the decision engine does with a request's scored
 * candidates, declared in a YAML file beside the fraud rules (`rules/recsys.yaml`) and validated
 * against the feature set the candidates' vectors come from.
 */
export interface RankingPolicy {
  version: string;
  /** A candidate matching any filter is left out of the list; its id is counted. */
  filters: { id: string; when: Condition }[];
  /** At most this many items of one category in a list; null: no cap. */
  categoryCap: number | null;
  /** This share of a list's slots goes to candidates drawn at random from below the cut. */
  explorationShare: number;
  /** Without scores (the model missed its budget), candidates are ordered by this feature, highest first. */
  fallbackOrder: { feature: string; index: number };
}

function policySchema(featureNames: readonly string[]) {
  const condition = conditionSchema(['score'], featureNames);
  return z.strictObject({
    version: z.union([z.string().min(1), z.number()]).transform(String),
    filters: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[a-z0-9_]+$/, 'filter ids are lower_snake_case'),
          description: z.string().optional(),
          when: condition,
        }),
      )
      .default([])
      .superRefine((filters, ctx) => {
        const seen = new Set<string>();
        filters.forEach((f, i) => {
          if (seen.has(f.id))
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate filter id '${f.id}'` });
          seen.add(f.id);
        });
      }),
    category_cap: z.number().int().min(1).nullable().default(null),
    exploration_share: probability.default(0),
    fallback_order: z
      .string()
      .refine((name) => featureNames.includes(name), { message: 'not a feature of the feature set' }),
  });
}

/** Parses and validates a policy file; a bad one is refused with a RuleFileError naming its line. */
export function parseRankingPolicy(text: string, featureSet: FeatureSetLike, file = '(policy)'): RankingPolicy {
  const raw = parseYamlFile(text, policySchema(featureSet.names), file);
  return {
    version: raw.version,
    filters: raw.filters.map((f) => ({ id: f.id, when: compileCondition(f.when, featureSet) })),
    categoryCap: raw.category_cap,
    explorationShare: raw.exploration_share,
    fallbackOrder: { feature: raw.fallback_order, index: featureSet.names.indexOf(raw.fallback_order) },
  };
}
