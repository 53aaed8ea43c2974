import { describe, expect, it } from 'vitest';
import { compareDecisions, type DecisionSummary, type EventOutcome, ruleHits, sideFigures } from './compare.js';

const d = (action: DecisionSummary['action'], reasons: string[] = [], score: number | null = 0.1): DecisionSummary => ({
  action,
  reasons,
  score,
  path: score === null ? 'RULES_ONLY' : 'MODEL_AND_RULES',
});

const ev = (
  eventId: string,
  amountMinor: number,
  fraud: boolean | null,
  production: DecisionSummary | null,
  candidate: DecisionSummary | null,
): EventOutcome => ({ eventId, amountMinor, fraud, production, candidate });

describe('the comparison arithmetic', () => {
  // Ten events: 4 frauds (2 caught by production, 3 by the candidate), 6 not fraud.
  const outcomes: EventOutcome[] = [
    ev('f1', 1_000, true, d('DECLINE', ['RULE:big']), d('DECLINE', ['RULE:big'])),
    ev('f2', 2_000, true, d('REVIEW', ['RULE:vel']), d('DECLINE', ['RULE:vel', 'RULE:big'])),
    ev('f3', 3_000, true, d('APPROVE'), d('STEP_UP', ['RULE:night'])),
    ev('f4', 4_000, true, d('APPROVE'), d('APPROVE')),
    ev('g1', 100, false, d('APPROVE'), d('APPROVE')),
    ev('g2', 200, false, d('REVIEW', ['RULE:vel']), d('APPROVE')),
    ev('g3', 300, false, d('APPROVE'), d('DECLINE', ['RULE:big'])),
    ev('n1', 400, null, d('DECLINE', ['RULE:big'], null), d('DECLINE', ['RULE:big'], null)),
    ev('n2', 500, null, d('APPROVE'), d('APPROVE', [], 0.2)),
    ev('n3', 600, null, d('APPROVE'), d('APPROVE')),
  ];
  const c = compareDecisions(outcomes);

  it('counts each side’s actions and rates over the events both decided', () => {
    expect(c.compared).toBe(10);
    expect(c.production.actions).toEqual({ APPROVE: 6, REVIEW: 2, STEP_UP: 0, DECLINE: 2 });
    expect(c.candidate.actions).toEqual({ APPROVE: 5, REVIEW: 0, STEP_UP: 1, DECLINE: 4 });
    expect(c.production.rates.APPROVE).toBeCloseTo(0.6, 12);
    expect(c.candidate.rates.DECLINE).toBeCloseTo(0.4, 12);
  });

  it('counts fraud caught (not approved) and the money of frauds approved and not', () => {
    expect(c.production).toMatchObject({ frauds: 4, fraudCaught: 2, moneyAtRiskMinor: 7_000, moneySavedMinor: 3_000 });
    expect(c.candidate).toMatchObject({ frauds: 4, fraudCaught: 3, moneyAtRiskMinor: 4_000, moneySavedMinor: 6_000 });
    expect(c.production.fraudCaughtShare).toBe(0.5);
    expect(c.candidate.fraudCaughtShare).toBe(0.75);
  });

  it('counts false positives (flagged, not labelled fraud) per 1,000 decided', () => {
    // production: g2 (genuine, reviewed) and n1 (no label, declined); candidate: g3 and n1.
    expect(c.production.falsePositives).toBe(2);
    expect(c.production.falsePositivesPer1000).toBe(200);
    expect(c.candidate.falsePositives).toBe(2);
    expect(c.candidate.falsePositivesPer1000).toBe(200);
    expect(c.production.rulesOnly).toBe(1);
  });

  it('counts rule hits per side and the events each rule gained and lost', () => {
    expect(c.rules).toEqual([
      { rule: 'big', production: 2, candidate: 4, change: 2, gained: 2, lost: 0 },
      { rule: 'night', production: 0, candidate: 1, change: 1, gained: 1, lost: 0 },
      { rule: 'vel', production: 2, candidate: 1, change: -1, gained: 0, lost: 1 },
    ]);
  });

  it('counts identical decisions, same actions and the flips between actions', () => {
    // identical: f1, f4, g1, n1, n3 (n2 has another score)
    expect(c.identical).toBe(5);
    expect(c.sameAction).toBe(6);
    expect(c.flips).toEqual([
      { from: 'APPROVE', to: 'DECLINE', events: 1 },
      { from: 'APPROVE', to: 'STEP_UP', events: 1 },
      { from: 'REVIEW', to: 'APPROVE', events: 1 },
      { from: 'REVIEW', to: 'DECLINE', events: 1 },
    ]);
    expect(c.differingExamples.map((x) => x.eventId)).toEqual(['f2', 'f3', 'g2', 'g3', 'n2']);
  });

  it('leaves events one side did not decide out of the figures, and counts them', () => {
    const partial = compareDecisions([
      ...outcomes,
      ev('m1', 9_999, true, null, d('DECLINE')),
      ev('m2', 1, null, d('APPROVE'), null),
    ]);
    expect(partial).toMatchObject({ events: 12, compared: 10, missingProduction: 1, missingCandidate: 1 });
    expect(partial.missingExamples).toEqual(['m1', 'm2']);
    expect(partial.candidate.moneySavedMinor).toBe(6_000);
  });

  it('lists the candidate’s rules that fired on neither side, at zero', () => {
    const listed = compareDecisions(outcomes, ['big', 'unused']).rules.map((r) => [r.rule, r.production, r.candidate]);
    expect(listed).toEqual([
      ['big', 2, 4],
      ['night', 0, 1],
      ['unused', 0, 0],
      ['vel', 2, 1],
    ]);
  });

  it('gives no rates for no events rather than dividing by zero', () => {
    const none = sideFigures([]);
    expect(none.rates.APPROVE).toBeNull();
    expect(none.fraudCaughtShare).toBeNull();
    expect(none.falsePositivesPer1000).toBeNull();
  });

  it('reads rule ids from reasons and nothing else', () => {
    expect(ruleHits(['RULE:a', 'SCORE_BAND:low', 'FEATURE:x', 'RULE:b_c', 'DENY_LIST'])).toEqual(['a', 'b_c']);
  });
});
