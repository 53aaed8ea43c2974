import { z } from 'zod';
import type { FeatureSetLike } from '../feature-set.js';
import { type Condition, OPERATORS, type Operand, type Scalar, type TransactionField } from './types.js';

/**
 * The condition language shared by rule files (fraud) and ranking policies (recommendations):
 * comparisons of a field or a feature, combined with all, any and not. Each file names the fields
 * it may read; features are checked against the feature set it runs on.
 */
export interface RawCondition {
  field?: string | undefined;
  feature?: string | undefined;
  op?: (typeof OPERATORS)[number] | undefined;
  value?: Scalar | Scalar[] | undefined;
  all?: RawCondition[] | undefined;
  any?: RawCondition[] | undefined;
  not?: RawCondition | undefined;
}

const scalar = z.union([z.number(), z.string(), z.boolean()]);
export const probability = z.number().min(0).max(1);

/** The schema of a condition over `fieldNames` (e.g. `transaction.amount_minor`, `score`) and the set's features. */
export function conditionSchema(
  fieldNames: readonly string[],
  featureNames: readonly string[],
): z.ZodType<RawCondition> {
  const fields = new Set(fieldNames);
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
  return condition;
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

/** A validated condition, its feature names resolved to their index in the vector. */
export function compileCondition(c: RawCondition, featureSet: FeatureSetLike): Condition {
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
