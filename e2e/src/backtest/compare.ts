import type { Action } from '@pipeline/topology';

export const ACTIONS = ['APPROVE', 'REVIEW', 'STEP_UP', 'DECLINE'] as const satisfies readonly Action[];

/** What a decision says, as stored in `decisions`. */
export interface DecisionSummary {
  action: Action;
  reasons: string[];
  score: number | null;
  path: string;
}

/** One transaction of the compared range, both sides' decisions and what is known of it since. */
export interface EventOutcome {
  eventId: string;
  amountMinor: number;
  /** The newest label: true fraud, false genuine, null none yet. */
  fraud: boolean | null;
  production: DecisionSummary | null;
  candidate: DecisionSummary | null;
}

/** One side's figures over the events both sides decided. */
export interface SideFigures {
  decided: number;
  actions: Record<Action, number>;
  /** Share of the decided events per action. */
  rates: Record<Action, number | null>;
  /** Labelled frauds, and of those the ones not approved (declined, reviewed or stepped up). */
  frauds: number;
  fraudCaught: number;
  fraudCaughtShare: number | null;
  /** Amount of the labelled frauds approved (money lost to them), and of those not approved. */
  moneyAtRiskMinor: number;
  moneySavedMinor: number;
  /** Events not approved and not labelled fraud (genuine, or no label yet). */
  falsePositives: number;
  falsePositivesPer1000: number | null;
  /** Events decided by rules alone (the score missed its budget). */
  rulesOnly: number;
}

export interface RuleHits {
  rule: string;
  production: number;
  candidate: number;
  /** candidate − production. */
  change: number;
  /** Events the rule fires on for the candidate only, and for production only. */
  gained: number;
  lost: number;
}

export interface DecisionComparison {
  /** Events of the range, and those both sides decided (the figures are over these). */
  events: number;
  compared: number;
  /** Events one side has no decision for (ids kept for a few). */
  missingProduction: number;
  missingCandidate: number;
  missingExamples: string[];
  production: SideFigures;
  candidate: SideFigures;
  /** Same action, same reasons in the same order, same score. */
  identical: number;
  sameAction: number;
  /** production action → candidate action, counts of the events whose action changed. */
  flips: { from: Action; to: Action; events: number }[];
  rules: RuleHits[];
  /** A few events whose decision differs, to look up. */
  differingExamples: { eventId: string; production: DecisionSummary; candidate: DecisionSummary }[];
}

const RULE = 'RULE:';
const KEPT = 5;

/** The rule ids among a decision's reasons (`RULE:<id>`). */
export function ruleHits(reasons: readonly string[]): string[] {
  return reasons.filter((r) => r.startsWith(RULE)).map((r) => r.slice(RULE.length));
}

export function sameDecision(a: DecisionSummary, b: DecisionSummary): boolean {
  return (
    a.action === b.action &&
    a.path === b.path &&
    a.score === b.score &&
    a.reasons.length === b.reasons.length &&
    a.reasons.every((r, i) => r === b.reasons[i])
  );
}

const per = (n: number, of: number, scale = 1) => (of === 0 ? null : (n / of) * scale);

/** One side's figures over `events`, each with that side's decision. */
export function sideFigures(events: readonly { outcome: EventOutcome; decision: DecisionSummary }[]): SideFigures {
  const actions = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;
  let frauds = 0;
  let fraudCaught = 0;
  let moneyAtRiskMinor = 0;
  let moneySavedMinor = 0;
  let falsePositives = 0;
  let rulesOnly = 0;
  for (const { outcome, decision } of events) {
    actions[decision.action]++;
    const flagged = decision.action !== 'APPROVE';
    if (decision.path === 'RULES_ONLY') rulesOnly++;
    if (outcome.fraud === true) {
      frauds++;
      if (flagged) {
        fraudCaught++;
        moneySavedMinor += outcome.amountMinor;
      } else moneyAtRiskMinor += outcome.amountMinor;
    } else if (flagged) falsePositives++;
  }
  const decided = events.length;
  return {
    decided,
    actions,
    rates: Object.fromEntries(ACTIONS.map((a) => [a, per(actions[a], decided)])) as Record<Action, number | null>,
    frauds,
    fraudCaught,
    fraudCaughtShare: per(fraudCaught, frauds),
    moneyAtRiskMinor,
    moneySavedMinor,
    falsePositives,
    falsePositivesPer1000: per(falsePositives, decided, 1000),
    rulesOnly,
  };
}

/**
 * Candidate against production, event by event, over the events both decided. `knownRules` (the
 * candidate's rule ids) are listed in the rule hits even where neither side fired them.
 */
export function compareDecisions(
  outcomes: readonly EventOutcome[],
  knownRules: readonly string[] = [],
): DecisionComparison {
  const both: { outcome: EventOutcome; production: DecisionSummary; candidate: DecisionSummary }[] = [];
  let missingProduction = 0;
  let missingCandidate = 0;
  const missingExamples: string[] = [];
  for (const outcome of outcomes) {
    const { production, candidate } = outcome;
    if (production && candidate) both.push({ outcome, production, candidate });
    else {
      if (!production) missingProduction++;
      if (!candidate) missingCandidate++;
      if (missingExamples.length < KEPT) missingExamples.push(outcome.eventId);
    }
  }
  let identical = 0;
  let sameAction = 0;
  const flips = new Map<string, { from: Action; to: Action; events: number }>();
  const rules = new Map<string, RuleHits>();
  const rule = (id: string) => {
    let hits = rules.get(id);
    if (!hits) {
      hits = { rule: id, production: 0, candidate: 0, change: 0, gained: 0, lost: 0 };
      rules.set(id, hits);
    }
    return hits;
  };
  for (const id of knownRules) rule(id);
  const differingExamples: DecisionComparison['differingExamples'] = [];
  for (const { outcome, production, candidate } of both) {
    if (sameDecision(production, candidate)) identical++;
    else if (differingExamples.length < KEPT)
      differingExamples.push({ eventId: outcome.eventId, production, candidate });
    if (production.action === candidate.action) sameAction++;
    else {
      const key = `${production.action}>${candidate.action}`;
      const flip = flips.get(key) ?? { from: production.action, to: candidate.action, events: 0 };
      flip.events++;
      flips.set(key, flip);
    }
    const before = new Set(ruleHits(production.reasons));
    const after = new Set(ruleHits(candidate.reasons));
    for (const id of before) {
      rule(id).production++;
      if (!after.has(id)) rule(id).lost++;
    }
    for (const id of after) {
      rule(id).candidate++;
      if (!before.has(id)) rule(id).gained++;
    }
  }
  for (const hits of rules.values()) hits.change = hits.candidate - hits.production;
  return {
    events: outcomes.length,
    compared: both.length,
    missingProduction,
    missingCandidate,
    missingExamples,
    production: sideFigures(both.map((b) => ({ outcome: b.outcome, decision: b.production }))),
    candidate: sideFigures(both.map((b) => ({ outcome: b.outcome, decision: b.candidate }))),
    identical,
    sameAction,
    flips: [...flips.values()].sort(
      (a, b) => b.events - a.events || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
    ),
    rules: [...rules.values()].sort((a, b) => a.rule.localeCompare(b.rule)),
    differingExamples,
  };
}
