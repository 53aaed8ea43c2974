import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { parseRuleSet } from './rules/load.js';
import type { RuleSet, Variant } from './rules/types.js';
import { enriched, score, tinyFeatureSet, transaction } from './testing.js';

const control: Variant = { name: 'control', share: 1, model: null, thresholds: null };

function rules(body: string, extra = ''): RuleSet {
  return parseRuleSet(
    `version: "v7"
score_bands:
  - { name: high, min: 0.8 }
  - { name: medium, min: 0.5 }
  - { name: low, min: 0 }
thresholds:
  default: { decline: 0.9, review: 0.6 }
  segments:
    - { name: online, when: { field: transaction.channel, op: "==", value: ECOM }, decline: 0.7, review: 0.4 }
${extra}rules:
${body}`,
    tinyFeatureSet,
  );
}

/** Does a single rule with this condition fire for the transaction/features/score? */
function fires(when: string, tx = {}, values = [0, 1, 0], s: number | null = null): boolean {
  const set = rules(`  - { id: r, priority: 1, action: REVIEW, when: ${when} }\n`);
  const e = enriched(tx, values);
  const d = decide({ ruleSet: set, event: e, score: s === null ? null : score('e1', s), variant: control, now: 1 });
  return d.reason_codes.includes('RULE:r');
}

describe('rule operators', () => {
  it('compares numbers with < <= > >= == !=', () => {
    const amount = (op: string, v: number) => fires(`{ field: transaction.amount_minor, op: "${op}", value: ${v} }`);
    expect([amount('<', 1001), amount('<', 1000)]).toEqual([true, false]);
    expect([amount('<=', 1000), amount('<=', 999)]).toEqual([true, false]);
    expect([amount('>', 999), amount('>', 1000)]).toEqual([true, false]);
    expect([amount('>=', 1000), amount('>=', 1001)]).toEqual([true, false]);
    expect([amount('==', 1000), amount('==', 1001)]).toEqual([true, false]);
    expect([amount('!=', 1001), amount('!=', 1000)]).toEqual([true, false]);
  });

  it('compares text with == and !=', () => {
    expect(fires('{ field: transaction.country, op: "==", value: PT }')).toBe(true);
    expect(fires('{ field: transaction.country, op: "!=", value: PT }')).toBe(false);
  });

  it('reads features by name', () => {
    expect(fires('{ feature: amount_ratio, op: ">", value: 3 }', {}, [0, 3.5, 0])).toBe(true);
    expect(fires('{ feature: amount_ratio, op: ">", value: 3 }', {}, [0, 2.5, 0])).toBe(false);
    expect(fires('{ feature: terminal_fraud_rate, op: ">=", value: 0.2 }', {}, [0, 0, 0.2])).toBe(true);
  });

  it('between is inclusive at both ends', () => {
    const between = (v: number) => fires('{ feature: txn_count_1h, op: between, value: [2, 5] }', {}, [v, 0, 0]);
    expect([1, 2, 3, 5, 6].map(between)).toEqual([false, true, true, true, false]);
  });

  it('in and not_in test set membership', () => {
    expect(fires('{ field: transaction.channel, op: in, value: [ECOM, MOTO] }', { channel: 'ECOM' })).toBe(true);
    expect(fires('{ field: transaction.channel, op: in, value: [ECOM, MOTO] }', { channel: 'POS' })).toBe(false);
    expect(fires('{ field: transaction.country, op: not_in, value: [PT, ES] }', { country: 'FR' })).toBe(true);
    expect(fires('{ field: transaction.country, op: not_in, value: [PT, ES] }', { country: 'ES' })).toBe(false);
  });

  it('all, any and not combine conditions', () => {
    const a = '{ field: transaction.channel, op: "==", value: ECOM }';
    const b = '{ field: transaction.amount_minor, op: ">", value: 500 }';
    expect(fires(`{ all: [${a}, ${b}] }`, { channel: 'ECOM' })).toBe(true);
    expect(fires(`{ all: [${a}, ${b}] }`, { channel: 'POS' })).toBe(false);
    expect(fires(`{ any: [${a}, ${b}] }`, { channel: 'POS' })).toBe(true);
    expect(fires(`{ any: [${a}, ${b}] }`, { channel: 'POS', amount_minor: 1 })).toBe(false);
    expect(fires(`{ not: ${a} }`, { channel: 'POS' })).toBe(true);
    expect(fires(`{ not: { not: ${a} } }`, { channel: 'POS' })).toBe(false);
  });

  it('reads the score, and a missing score or NaN feature makes every comparison false', () => {
    expect(fires('{ field: score, op: ">=", value: 0.5 }', {}, [0, 1, 0], 0.5)).toBe(true);
    expect(fires('{ field: score, op: ">=", value: 0.5 }', {}, [0, 1, 0], null)).toBe(false);
    expect(fires('{ field: score, op: "!=", value: 0.5 }', {}, [0, 1, 0], null)).toBe(false);
    expect(fires('{ not: { field: score, op: ">=", value: 0 } }', {}, [0, 1, 0], null)).toBe(true);
    expect(fires('{ feature: amount_ratio, op: "<", value: 10 }', {}, [0, Number.NaN, 0])).toBe(false);
    expect(fires('{ field: transaction.device_hash, op: not_in, value: [x] }')).toBe(false);
  });
});

describe('decide', () => {
  const conflicting =
    rules(`  - { id: trusted_merchant, priority: 90, action: APPROVE, when: { field: transaction.terminal_id, op: "==", value: T9 } }
  - { id: big, priority: 60, action: DECLINE, when: { field: transaction.amount_minor, op: ">", value: 5000 } }
  - { id: medium, priority: 60, action: REVIEW, when: { field: transaction.amount_minor, op: ">", value: 2000 } }
`);

  it('the highest priority among fired rules wins; equal priorities go to the more severe action', () => {
    const d = decide({
      ruleSet: conflicting,
      event: enriched({ amount_minor: 9000 }),
      score: null,
      variant: control,
      now: 5,
    });
    expect(d.action).toBe('DECLINE');
    expect(d.reason_codes).toEqual(['RULE:big', 'RULE:medium', 'FALLBACK:RULES_ONLY']);
    const trusted = decide({
      ruleSet: conflicting,
      event: enriched({ amount_minor: 9000, terminal_id: 'T9' }),
      score: score('e1', 0.99),
      variant: control,
      now: 5,
    });
    // priority 90 beats both the DECLINE rule (60) and the score's DECLINE (threshold priority 50)
    expect(trusted.action).toBe('APPROVE');
    expect(trusted.reason_codes[0]).toBe('RULE:trusted_merchant');
  });

  it('a rule above the threshold priority overrides the model; below it, the model wins', () => {
    const low = rules(
      '  - { id: approve_small, priority: 10, action: APPROVE, when: { field: transaction.amount_minor, op: "<", value: 5000 } }\n',
    );
    const d = decide({ ruleSet: low, event: enriched(), score: score('e1', 0.95), variant: control, now: 1 });
    expect(d.action).toBe('DECLINE');
  });

  it('uses per-segment thresholds', () => {
    const set = rules('  []\n');
    const at = (channel: 'POS' | 'ECOM', s: number) =>
      decide({ ruleSet: set, event: enriched({ channel }), score: score('e1', s), variant: control, now: 1 }).action;
    expect([at('POS', 0.5), at('POS', 0.65), at('POS', 0.95)]).toEqual(['APPROVE', 'REVIEW', 'DECLINE']);
    expect([at('ECOM', 0.3), at('ECOM', 0.5), at('ECOM', 0.75)]).toEqual(['APPROVE', 'REVIEW', 'DECLINE']);
  });

  it('a threshold variant replaces the thresholds', () => {
    const set = rules('  []\n');
    const strict: Variant = {
      name: 'strict',
      share: 0.5,
      model: null,
      thresholds: { priority: 50, default: { decline: 0.5, step_up: 0.3 }, segments: [] },
    };
    const d = decide({ ruleSet: set, event: enriched(), score: score('e1', 0.4), variant: strict, now: 1 });
    expect(d).toMatchObject({ action: 'STEP_UP', experiment_variant: 'strict' });
  });

  it('deny and allow lists beat the rules and the model; deny beats allow', () => {
    const set = rules(
      '  - { id: big, priority: 100, action: DECLINE, when: { field: transaction.amount_minor, op: ">", value: 5 } }\n',
      'lists:\n  deny: { customers: [C666], terminals: [T666] }\n  allow: { customers: [C1, C666] }\n',
    );
    const allowed = decide({ ruleSet: set, event: enriched(), score: score('e1', 0.99), variant: control, now: 1 });
    expect(allowed.action).toBe('APPROVE');
    expect(allowed.reason_codes[0]).toBe('ALLOW_LIST');
    const denied = decide({
      ruleSet: set,
      event: enriched({ customer_id: 'C666' }),
      score: score('e1', 0.01),
      variant: control,
      now: 1,
    });
    expect(denied.action).toBe('DECLINE');
    expect(denied.reason_codes[0]).toBe('DENY_LIST');
    const terminal = decide({
      ruleSet: set,
      event: enriched({ customer_id: 'C2', terminal_id: 'T666' }),
      score: null,
      variant: control,
      now: 1,
    });
    expect(terminal.action).toBe('DECLINE');
  });

  it('records the score band, top features and full provenance on a model decision', () => {
    const set = rules('  []\n');
    const d = decide({
      ruleSet: set,
      event: enriched({ event_id: 'e1' }),
      score: score('e1', 0.85),
      variant: control,
      now: 77,
    });
    expect(d).toEqual({
      event_id: 'e1',
      customer_id: 'C1',
      event_time: transaction().event_time,
      action: 'REVIEW',
      reason_codes: ['SCORE_BAND:high', 'FEATURE:amount_ratio', 'FEATURE:txn_count_1h'],
      score: 0.85,
      path: 'MODEL_AND_RULES',
      rule_set_version: 'v7',
      model_name: 'fraud_gbm',
      model_version: '7',
      feature_set_version: 3,
      experiment_variant: 'control',
      decided_at: 77,
    });
  });

  it('without a score: rules only, no model, the default action', () => {
    const d = decide({ ruleSet: rules('  []\n'), event: enriched(), score: null, variant: control, now: 1 });
    expect(d).toMatchObject({
      action: 'APPROVE',
      path: 'RULES_ONLY',
      score: null,
      model_name: null,
      reason_codes: ['FALLBACK:RULES_ONLY'],
    });
  });
});
