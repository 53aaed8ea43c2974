import type { Transaction } from '@pipeline/topology';
import type { Bands, Condition, Operand, Scalar, Thresholds } from './types.js';

/**
 * What a condition can see: the transaction (fraud; a ranking policy reads none), the feature vector
 * and the deciding score (null on fallback).
 */
export interface EvalContext {
  transaction?: Transaction;
  features: readonly number[];
  score: number | null;
}

/** A missing value (null score or field, NaN feature) makes every comparison on it false, `!=` included. */
function read(operand: Operand, ctx: EvalContext): Scalar | null {
  switch (operand.kind) {
    case 'score':
      return ctx.score;
    case 'feature': {
      const v = ctx.features[operand.index];
      return v === undefined || Number.isNaN(v) ? null : v;
    }
    case 'transaction':
      return ctx.transaction?.[operand.field] ?? null;
  }
}

export function evaluate(condition: Condition, ctx: EvalContext): boolean {
  switch (condition.kind) {
    case 'all':
      return condition.conditions.every((c) => evaluate(c, ctx));
    case 'any':
      return condition.conditions.some((c) => evaluate(c, ctx));
    case 'not':
      return !evaluate(condition.condition, ctx);
    case 'between': {
      const v = read(condition.operand, ctx);
      return typeof v === 'number' && v >= condition.low && v <= condition.high;
    }
    case 'in': {
      const v = read(condition.operand, ctx);
      return v !== null && condition.values.has(v) !== condition.negate;
    }
    case 'compare': {
      const v = read(condition.operand, ctx);
      if (v === null) return false;
      const w = condition.value;
      switch (condition.op) {
        case '==':
          return v === w;
        case '!=':
          return v !== w;
      }
      if (typeof v !== 'number' || typeof w !== 'number') return false;
      switch (condition.op) {
        case '<':
          return v < w;
        case '<=':
          return v <= w;
        case '>':
          return v > w;
        case '>=':
          return v >= w;
      }
    }
  }
}

/** The bands of the first segment the event falls in, else the default ones. */
export function bandsFor(thresholds: Thresholds, ctx: EvalContext): { segment: string; bands: Bands } {
  const segment = thresholds.segments.find((s) => evaluate(s.when, ctx));
  return segment ? { segment: segment.name, bands: segment } : { segment: 'default', bands: thresholds.default };
}

export function scoreAction(bands: Bands, score: number): 'DECLINE' | 'STEP_UP' | 'REVIEW' | null {
  if (bands.decline !== undefined && score >= bands.decline) return 'DECLINE';
  if (bands.step_up !== undefined && score >= bands.step_up) return 'STEP_UP';
  if (bands.review !== undefined && score >= bands.review) return 'REVIEW';
  return null;
}
