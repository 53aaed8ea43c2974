import { describe, expect, it } from 'vitest';
import { enriched, score, tinyFeatureSet } from '../src/testing.js';
import { createWorld, duplicates, sleep, until } from './harness.js';

const RULES = `version: "r1"
score_bands: [{ name: high, min: 0.8 }, { name: low, min: 0 }]
thresholds: { default: { decline: 0.9, review: 0.6 } }
rules:
  - { id: big_amount, priority: 100, action: REVIEW, when: { field: transaction.amount_minor, op: ">", value: 50000 } }
`;

// Generous budget: the test asserts the path taken, not the machine's speed.
const BUDGET = 1500;

const event = (phase: string, i: number, overrides = {}) =>
  enriched({ event_id: `${phase}-${i}`, customer_id: `C${i % 4}`, amount_minor: i % 2 ? 90_000 : 100, ...overrides });
const scoreFor = (phase: string, i: number, value = 0.95) =>
  score(`${phase}-${i}`, value, { customer_id: `C${i % 4}` });

describe('the engine joins scores within a budget and falls back to rules alone without them', () => {
  it('decides with the model when scores come, on rules alone when the scorer stops, once per event throughout', async () => {
    const world = await createWorld(RULES, tinyFeatureSet);
    try {
      await world.startEngine({ budgetMs: BUDGET });
      const range = (n: number) => Array.from({ length: n }, (_, i) => i);
      const byId = (prefix: string) => world.decisions.filter((d) => d.event_id.startsWith(prefix));

      // Scores that come before their event are held, and used when it arrives.
      await world.sendScores(range(4).map((i) => scoreFor('early', i)));
      await world.sendEnriched(range(4).map((i) => event('early', i)));
      // Scores that come shortly after their event, within the budget.
      await world.sendEnriched(range(4).map((i) => event('after', i)));
      await sleep(150);
      const shadow = { shadow: true, model_name: 'challenger' };
      await world.sendScores(range(4).map((i) => ({ ...scoreFor('after', i, 0.99), ...shadow })));
      await world.sendScores(range(4).map((i) => scoreFor('after', i, 0.1)));
      await until(() => byId('early').length === 4 && byId('after').length === 4, 'model decisions');
      for (const d of [...byId('early'), ...byId('after')]) {
        expect(d).toMatchObject({
          path: 'MODEL_AND_RULES',
          model_name: 'fraud_gbm',
          model_version: '7',
          rule_set_version: 'r1',
        });
      }
      // Threshold says DECLINE at 0.95; the big_amount rule (priority 100 > 50) makes the odd ones REVIEW.
      expect(
        byId('early')
          .map((d) => [d.event_id, d.action])
          .sort(),
      ).toEqual([
        ['early-0', 'DECLINE'],
        ['early-1', 'REVIEW'],
        ['early-2', 'DECLINE'],
        ['early-3', 'REVIEW'],
      ]);
      expect(byId('early').every((d) => d.reason_codes.includes('SCORE_BAND:high'))).toBe(true);
      // A shadow score is not the champion's: it never decides.
      expect(byId('after').map((d) => d.score)).toEqual([0.1, 0.1, 0.1, 0.1]);

      // Scorer stopped: decisions keep flowing, marked rules-only.
      const sentAt = Date.now();
      await world.sendEnriched(range(6).map((i) => event('outage', i)));
      await until(() => byId('outage').length === 6, 'rules-only decisions');
      for (const d of byId('outage')) {
        expect(d).toMatchObject({ path: 'RULES_ONLY', score: null, model_name: null });
        expect(d.reason_codes).toContain('FALLBACK:RULES_ONLY');
        // Within the budget plus slack for a loaded machine, not held until the scorer returns.
        expect(d.decided_at - sentAt).toBeLessThan(BUDGET + 10_000);
      }
      expect(byId('outage').filter((d) => d.reason_codes.includes('RULE:big_amount'))).toHaveLength(3);

      // Their scores arrive late: logged, never a second decision.
      await world.sendScores(range(6).map((i) => scoreFor('outage', i)));
      // Scorer back: model decisions resume.
      await world.sendScores(range(4).map((i) => scoreFor('back', i, 0.7)));
      await world.sendEnriched(range(4).map((i) => event('back', i)));
      await until(() => byId('back').length === 4, 'decisions after the scorer returns');
      expect(byId('back').every((d) => d.path === 'MODEL_AND_RULES' && d.score === 0.7)).toBe(true);

      await sleep(BUDGET + 500);
      expect(world.decisions).toHaveLength(18);
      expect(duplicates(world.decisions)).toEqual([]);
      expect(byId('outage').every((d) => d.path === 'RULES_ONLY')).toBe(true);
    } finally {
      await world.close();
    }
  });

  it('dead-letters enriched events whose feature vector does not fit, with the reason, and decides the rest', async () => {
    const world = await createWorld(RULES, tinyFeatureSet, 1);
    try {
      await world.startEngine({ budgetMs: 200 });
      await world.sendEnriched(
        [event('ok', 1), event('short', 1, {}), event('old', 1), event('ok', 2)].map((e, i) =>
          i === 1
            ? { ...e, features: { ...e.features, values: [1] } }
            : i === 2
              ? { ...e, features: { ...e.features, version: 2 } }
              : e,
        ),
      );
      await world.sendScores([score('bad', 0.5, { feature_set_version: 9 })]);
      await until(() => world.decisions.length === 2 && world.deadLetters.length === 3, 'decisions and dead letters');
      expect(world.decisions.map((d) => d.event_id).sort()).toEqual(['ok-1', 'ok-2']);
      const reasons = world.deadLetters
        .map((l) => `${l.topic === world.topics.scores ? 'score' : 'event'}: ${l.error_type}: ${l.error}`)
        .sort();
      expect(reasons).toEqual([
        'event: FeatureSetMismatchError: feature set tiny v2 is not tiny v3 that the rules are written against',
        'event: FeatureSetMismatchError: feature vector has 1 values; tiny v3 declares 3',
        'score: ScoreMismatchError: score of fraud_gbm 7 is on feature-set version 9, not 3',
      ]);
    } finally {
      await world.close();
    }
  });
});
