import type { Action, Decision, EnrichedTransaction, Score } from '@pipeline/topology';
import { bandsFor, type EvalContext, evaluate, scoreAction } from './rules/evaluate.js';
import { SEVERITY } from './rules/load.js';
import type { RuleSet, Variant } from './rules/types.js';

export interface DecideInput {
  ruleSet: RuleSet;
  event: EnrichedTransaction;
  /** The score of the variant's model, or null when it missed the budget (rules-only fallback). */
  score: Score | null;
  variant: Variant;
  now: number;
}

/**
 * Which score decides for a variant: the champion's (shadow=false) or a named challenger's. The same
 * for every use case's scores (fraud's, recommendations').
 */
export function scoreMatches(variant: Pick<Variant, 'model'>, score: Pick<Score, 'shadow' | 'model_name'>): boolean {
  return variant.model === null ? !score.shadow : score.model_name === variant.model;
}

/**
 * One decision from plain data. Deny list, then allow list, beat everything. Otherwise the fired rules
 * and the score's threshold action compete by priority (ties to the more severe action); nothing
 * fired or crossed gives the rule set's default action.
 */
export function decide({ ruleSet, event, score, variant, now }: DecideInput): Decision {
  const tx = event.transaction;
  const ctx: EvalContext = { transaction: tx, features: event.features.values, score: score?.score ?? null };
  const reasons: string[] = [];
  let action: Action;

  if (ruleSet.deny.customers.has(tx.customer_id) || ruleSet.deny.terminals.has(tx.terminal_id)) {
    action = 'DECLINE';
    reasons.push('DENY_LIST');
  } else if (ruleSet.allow.customers.has(tx.customer_id) || ruleSet.allow.terminals.has(tx.terminal_id)) {
    action = 'APPROVE';
    reasons.push('ALLOW_LIST');
  } else {
    const candidates: { action: Action; priority: number }[] = [];
    for (const rule of ruleSet.rules) {
      if (!evaluate(rule.when, ctx)) continue;
      candidates.push(rule);
      reasons.push(`RULE:${rule.id}`);
    }
    if (score) {
      const thresholds = variant.thresholds ?? ruleSet.thresholds;
      const fromScore = scoreAction(bandsFor(thresholds, ctx).bands, score.score);
      if (fromScore) candidates.push({ action: fromScore, priority: thresholds.priority });
    }
    candidates.sort((a, b) => b.priority - a.priority || SEVERITY[b.action] - SEVERITY[a.action]);
    action = candidates[0]?.action ?? ruleSet.defaultAction;
  }

  if (score) {
    const band = ruleSet.scoreBands.find((b) => score.score >= b.min);
    if (band) reasons.push(`SCORE_BAND:${band.name}`);
    for (const c of score.contributions.slice(0, 3)) reasons.push(`FEATURE:${c.feature}`);
  } else {
    reasons.push('FALLBACK:RULES_ONLY');
  }

  return {
    event_id: tx.event_id,
    customer_id: tx.customer_id,
    event_time: tx.event_time,
    action,
    reason_codes: reasons,
    score: score?.score ?? null,
    path: score ? 'MODEL_AND_RULES' : 'RULES_ONLY',
    rule_set_version: ruleSet.version,
    model_name: score?.model_name ?? null,
    model_version: score?.model_version ?? null,
    feature_set_version: event.features.version,
    experiment_variant: variant.name,
    decided_at: now,
  };
}
