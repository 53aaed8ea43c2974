import { z } from 'zod';
import { experimentSchema, NO_EXPERIMENT } from '../experiment.js';
import type { FeatureSetLike } from '../feature-set.js';
import { compileCondition, conditionSchema, probability, type RawCondition } from './conditions.js';
import {
  type Bands,
  type Condition,
  type Rule,
  type RuleSet,
  type Thresholds,
  TRANSACTION_FIELDS,
  type Variant,
} from './types.js';
import { parseYamlFile } from './yaml-file.js';

const ACTIONS = ['APPROVE', 'REVIEW', 'DECLINE', 'STEP_UP'] as const;
/** Ties between equal priorities go to the more severe action. */
export const SEVERITY: Record<(typeof ACTIONS)[number], number> = { APPROVE: 0, REVIEW: 1, STEP_UP: 2, DECLINE: 3 };

/** The schema of a rule file; feature names are checked against the feature set the rules run on. */
function ruleFileSchema(featureNames: readonly string[]) {
  const condition = conditionSchema([...TRANSACTION_FIELDS.map((f) => `transaction.${f}`), 'score'], featureNames);

  const bands = z.strictObject({
    decline: probability.optional(),
    step_up: probability.optional(),
    review: probability.optional(),
  });
  const thresholds = z.strictObject({
    priority: z.number().int().default(50),
    default: bands,
    segments: z.array(bands.extend({ name: z.string().min(1), when: condition })).default([]),
  });
  const idList = z.array(z.string().min(1)).default([]);
  const list = z.strictObject({ customers: idList, terminals: idList }).default({ customers: [], terminals: [] });

  return z.strictObject({
    version: z.union([z.string().min(1), z.number()]).transform(String),
    default_action: z.enum(ACTIONS).default('APPROVE'),
    lists: z
      .strictObject({ deny: list, allow: list })
      .default({ deny: { customers: [], terminals: [] }, allow: { customers: [], terminals: [] } }),
    score_bands: z
      .array(
        z.strictObject({ name: z.string().regex(/^[a-z0-9_]+$/, 'band names are lower_snake_case'), min: probability }),
      )
      .min(1),
    thresholds,
    rules: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[a-z0-9_]+$/, 'rule ids are lower_snake_case'),
          description: z.string().optional(),
          priority: z.number().int(),
          action: z.enum(ACTIONS),
          when: condition,
        }),
      )
      .default([])
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((rule, i) => {
          if (seen.has(rule.id))
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id '${rule.id}'` });
          seen.add(rule.id);
        });
      }),
    experiment: experimentSchema({ thresholds: thresholds.optional() }).optional(),
  });
}

type RawFile = z.infer<ReturnType<typeof ruleFileSchema>>;

/**
 * Parses and validates a rule file's text into a RuleSet. Refuses a bad file with a RuleFileError
 * naming the line and column of the first problem, so an operator can fix it from the log line alone.
 */
export function parseRuleSet(text: string, featureSet: FeatureSetLike, file = '(rules)'): RuleSet {
  return compile(parseYamlFile(text, ruleFileSchema(featureSet.names), file), featureSet);
}

function compile(raw: RawFile, featureSet: FeatureSetLike): RuleSet {
  const cond = (c: RawCondition): Condition => compileCondition(c, featureSet);
  const thresholds = (t: NonNullable<RawFile['thresholds']>): Thresholds => ({
    priority: t.priority,
    default: bands(t.default),
    segments: t.segments.map((s) => ({ name: s.name, ...bands(s), when: cond(s.when) })),
  });
  const rules: Rule[] = raw.rules
    .map((r) => ({ id: r.id, priority: r.priority, action: r.action, when: cond(r.when) }))
    .sort((a, b) => b.priority - a.priority || SEVERITY[b.action] - SEVERITY[a.action]);
  const variants: Variant[] = raw.experiment?.variants.map((v) => ({
    name: v.name,
    share: v.share,
    model: v.model ?? null,
    thresholds: v.thresholds ? thresholds(v.thresholds) : null,
  })) ?? [{ name: 'control', share: 1, model: null, thresholds: null }];
  return {
    version: raw.version,
    defaultAction: raw.default_action,
    deny: { customers: new Set(raw.lists.deny.customers), terminals: new Set(raw.lists.deny.terminals) },
    allow: { customers: new Set(raw.lists.allow.customers), terminals: new Set(raw.lists.allow.terminals) },
    scoreBands: [...raw.score_bands].sort((a, b) => b.min - a.min),
    thresholds: thresholds(raw.thresholds),
    rules,
    experiment: { name: raw.experiment?.name ?? NO_EXPERIMENT, variants },
  };
}

function bands(b: Bands): Bands {
  const out: Bands = {};
  if (b.decline !== undefined) out.decline = b.decline;
  if (b.step_up !== undefined) out.step_up = b.step_up;
  if (b.review !== undefined) out.review = b.review;
  return out;
}
