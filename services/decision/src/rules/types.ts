import type { Action } from '@pipeline/topology';
import type { ExperimentOf } from '../experiment.js';

export const COMPARISONS = ['<', '<=', '>', '>=', '==', '!='] as const;
export const OPERATORS = [...COMPARISONS, 'between', 'in', 'not_in'] as const;
export type Comparison = (typeof COMPARISONS)[number];
export type Operator = (typeof OPERATORS)[number];
export type Scalar = number | string | boolean;

/** Transaction fields a condition may read as `transaction.<name>`. */
import { TRANSACTION_FIELDS } from '@pipeline/topology';

export { TRANSACTION_FIELDS };
export type TransactionField = (typeof TRANSACTION_FIELDS)[number];

export type Operand =
  | { kind: 'transaction'; field: TransactionField }
  | { kind: 'score' }
  | { kind: 'feature'; name: string; index: number };

export type Condition =
  | { kind: 'compare'; operand: Operand; op: Comparison; value: Scalar }
  | { kind: 'between'; operand: Operand; low: number; high: number }
  | { kind: 'in'; operand: Operand; values: ReadonlySet<Scalar>; negate: boolean }
  | { kind: 'all'; conditions: Condition[] }
  | { kind: 'any'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition };

export interface Rule {
  id: string;
  priority: number;
  action: Action;
  when: Condition;
}

/** Score at or above `decline` declines, at or above `step_up` steps up, at or above `review` reviews. */
export interface Bands {
  decline?: number;
  step_up?: number;
  review?: number;
}

export interface Segment extends Bands {
  name: string;
  when: Condition;
}

export interface Thresholds {
  /** Priority of the score's action against rule actions. */
  priority: number;
  default: Bands;
  /** First matching segment wins; none matching uses `default`. */
  segments: Segment[];
}

export interface Variant {
  name: string;
  share: number;
  /** The model whose score decides for this variant; null: the champion (shadow=false). */
  model: string | null;
  /** Replaces the rule set's thresholds for this variant. */
  thresholds: Thresholds | null;
}

export type Experiment = ExperimentOf<Variant>;

export interface RuleSet {
  version: string;
  defaultAction: Action;
  deny: { customers: ReadonlySet<string>; terminals: ReadonlySet<string> };
  allow: { customers: ReadonlySet<string>; terminals: ReadonlySet<string> };
  /** Sorted by `min` descending: a score's band is the first whose min it reaches. */
  scoreBands: { name: string; min: number }[];
  thresholds: Thresholds;
  /** Sorted by priority descending, then severity. */
  rules: Rule[];
  experiment: Experiment;
}
