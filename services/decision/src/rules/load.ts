import { isMap, isNode, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { RuleFileError } from '../errors.js';
import type { FeatureSetLike } from '../feature-set.js';
import {
  type Bands,
  type Condition,
  OPERATORS,
  type Operand,
  type Rule,
  type RuleSet,
  type Scalar,
  type Thresholds,
  TRANSACTION_FIELDS,
  type TransactionField,
  type Variant,
} from './types.js';

const ACTIONS = ['APPROVE', 'REVIEW', 'DECLINE', 'STEP_UP'] as const;
/** Ties between equal priorities go to the more severe action. */
export const SEVERITY: Record<(typeof ACTIONS)[number], number> = { APPROVE: 0, REVIEW: 1, STEP_UP: 2, DECLINE: 3 };

interface RawCondition {
  field?: string | undefined;
  feature?: string | undefined;
  op?: (typeof OPERATORS)[number] | undefined;
  value?: Scalar | Scalar[] | undefined;
  all?: RawCondition[] | undefined;
  any?: RawCondition[] | undefined;
  not?: RawCondition | undefined;
}

const scalar = z.union([z.number(), z.string(), z.boolean()]);
const probability = z.number().min(0).max(1);

/** The schema of a rule file; feature names are checked against the feature set the rules run on. */
function ruleFileSchema(featureNames: readonly string[]) {
  const fields = new Set<string>([...TRANSACTION_FIELDS.map((f) => `transaction.${f}`), 'score']);
  const features = new Set(featureNames);

  const condition: z.ZodType<RawCondition> = z.lazy(() =>
    z
      .strictObject({
        field: z.string().optional(),
        feature: z.string().optional(),
        op: z.enum(OPERATORS).optional(),
        value: z.union([scalar, z.array(scalar)]).optional(),
        all: z.array(condition).min(1).optional(),
        any: z.array(condition).min(1).optional(),
        not: condition.optional(),
      })
      .superRefine((c, ctx) => checkCondition(c, ctx, fields, features)),
  );

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
    experiment: z
      .strictObject({
        name: z.string().min(1),
        variants: z
          .array(
            z.strictObject({
              name: z.string().min(1),
              share: probability,
              model: z.string().min(1).optional(),
              thresholds: thresholds.optional(),
            }),
          )
          .min(1)
          .superRefine((variants, ctx) => {
            const total = variants.reduce((sum, v) => sum + v.share, 0);
            if (Math.abs(total - 1) > 1e-9)
              ctx.addIssue({ code: 'custom', message: `variant shares add up to ${total}, not 1` });
          }),
      })
      .optional(),
  });
}

function checkCondition(c: RawCondition, ctx: z.RefinementCtx, fields: Set<string>, features: Set<string>): void {
  const forms = [c.op !== undefined || c.field !== undefined || c.feature !== undefined, !!c.all, !!c.any, !!c.not];
  if (forms.filter(Boolean).length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: 'a condition is one of: {field|feature, op, value}, {all: [...]}, {any: [...]}, {not: ...}',
    });
    return;
  }
  if (!forms[0]) return;
  if ((c.field === undefined) === (c.feature === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'a comparison names exactly one of field or feature' });
  }
  if (c.field !== undefined && !fields.has(c.field)) {
    ctx.addIssue({
      code: 'custom',
      path: ['field'],
      message: `unknown field '${c.field}' (known: ${[...fields].join(', ')})`,
    });
  }
  if (c.feature !== undefined && !features.has(c.feature)) {
    ctx.addIssue({
      code: 'custom',
      path: ['feature'],
      message: `unknown feature '${c.feature}' (not in the feature set)`,
    });
  }
  if (c.op === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a comparison needs op' });
    return;
  }
  const { value, op } = c;
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: `op '${op}' needs a value` });
  } else if (op === 'between') {
    if (
      !Array.isArray(value) ||
      value.length !== 2 ||
      !value.every((v) => typeof v === 'number') ||
      (value[0] as number) > (value[1] as number)
    )
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: "'between' takes [low, high], two numbers, low <= high",
      });
  } else if (op === 'in' || op === 'not_in') {
    if (!Array.isArray(value) || value.length === 0)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `'${op}' takes a non-empty list` });
  } else if (Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `'${op}' takes one value, not a list` });
  } else if (op !== '==' && op !== '!=' && typeof value !== 'number') {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `'${op}' compares numbers` });
  }
}

type RawFile = z.infer<ReturnType<typeof ruleFileSchema>>;

/**
 * Parses and validates a rule file's text into a RuleSet. Refuses a bad file with a RuleFileError
 * naming the line and column of the first problem, so an operator can fix it from the log line alone.
 */
export function parseRuleSet(text: string, featureSet: FeatureSetLike, file = '(rules)'): RuleSet {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0] ?? { line: 0, col: 0 };
    const reason = (yamlError.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '');
    throw new RuleFileError(file, pos.line, pos.col, reason);
  }
  const result = ruleFileSchema(featureSet.names).safeParse(doc.toJS());
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p));
    const pos = positionOf(doc.contents, path, lineCounter);
    const where = path.length > 0 ? `${path.join('.')}: ` : '';
    throw new RuleFileError(file, pos.line, pos.col, `${where}${issue?.message ?? 'invalid'}`);
  }
  return compile(result.data, featureSet);
}

/** The deepest node along `path` that exists: a missing key is reported where its parent is. */
function positionOf(root: unknown, path: (string | number)[], lineCounter: LineCounter): { line: number; col: number } {
  let node: unknown = root;
  let found: Node | undefined = isNode(root) ? root : undefined;
  for (const key of path) {
    if (isMap(node) || isSeq(node)) {
      const next = node.get(key, true);
      if (!isNode(next)) break;
      node = next;
      found = next;
    } else break;
  }
  const offset = found?.range?.[0];
  return offset === undefined ? { line: 0, col: 0 } : lineCounter.linePos(offset);
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
    experiment: { name: raw.experiment?.name ?? 'none', variants },
  };
}

function bands(b: Bands): Bands {
  const out: Bands = {};
  if (b.decline !== undefined) out.decline = b.decline;
  if (b.step_up !== undefined) out.step_up = b.step_up;
  if (b.review !== undefined) out.review = b.review;
  return out;
}

function compileCondition(c: RawCondition, featureSet: FeatureSetLike): Condition {
  if (c.all) return { kind: 'all', conditions: c.all.map((x) => compileCondition(x, featureSet)) };
  if (c.any) return { kind: 'any', conditions: c.any.map((x) => compileCondition(x, featureSet)) };
  if (c.not) return { kind: 'not', condition: compileCondition(c.not, featureSet) };
  const operand: Operand =
    c.feature !== undefined
      ? { kind: 'feature', name: c.feature, index: featureSet.names.indexOf(c.feature) }
      : c.field === 'score'
        ? { kind: 'score' }
        : { kind: 'transaction', field: (c.field ?? '').slice('transaction.'.length) as TransactionField };
  const value = c.value as Scalar | Scalar[];
  switch (c.op) {
    case 'between': {
      const [low, high] = value as number[];
      return { kind: 'between', operand, low: low ?? 0, high: high ?? 0 };
    }
    case 'in':
    case 'not_in':
      return { kind: 'in', operand, values: new Set(value as Scalar[]), negate: c.op === 'not_in' };
    default:
      return { kind: 'compare', operand, op: c.op ?? '==', value: value as Scalar };
  }
}
