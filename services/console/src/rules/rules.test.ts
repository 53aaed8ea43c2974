import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ruleHits, ruleHitsSql } from './hits.js';
import { conditionText, ruleSetView } from './rule-file.js';

describe('the rule file as the page shows it', () => {
  it('reads the decision engine’s committed rule file', () => {
    const view = ruleSetView(readFileSync(new URL('../../../decision/rules/fraud.yaml', import.meta.url), 'utf8'));
    expect(view.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(view.defaultAction).toBe('APPROVE');
    expect(view.rules.map((r) => r.id)).toContain('very_large_amount');
    const large = view.rules.find((r) => r.id === 'very_large_amount');
    expect(large).toMatchObject({ priority: 100, action: 'DECLINE', condition: 'transaction.amount_minor > 1000000' });
    expect(view.thresholds).toBe('decline ≥ 0.9, review ≥ 0.7');
  });

  it('renders conditions of every form', () => {
    expect(
      conditionText({
        all: [
          { field: 'transaction.channel', op: '==', value: 'ECOM' },
          { field: 'transaction.amount_minor', op: 'between', value: [500, 5000] },
          { not: { field: 'score', op: '>=', value: 0 } },
          {
            any: [
              { feature: 'x', op: 'in', value: ['A', 'B'] },
              { feature: 'y', op: 'not_in', value: [1] },
            ],
          },
        ],
      }),
    ).toBe(
      'all(transaction.channel == ECOM, transaction.amount_minor between 500 and 5000, not(score >= 0), any(x in [A, B], y not in [1]))',
    );
  });

  it('reads lists, variants, and refuses what is not a mapping', () => {
    const view = ruleSetView(`version: "v2"
lists: { deny: { customers: [C1, C2], terminals: [T1] }, allow: { customers: [C3] } }
experiment:
  name: trial
  variants:
    - { name: control, share: 0.9 }
    - { name: challenger, share: 0.1, model: fraud_gbm_v2 }
rules: []
`);
    expect(view.lists).toEqual({ deny: 3, allow: 1 });
    expect(view.variants).toEqual([
      { name: 'control', share: 0.9, model: null },
      { name: 'challenger', share: 0.1, model: 'fraud_gbm_v2' },
    ]);
    expect(view.rules).toEqual([]);
    expect(() => ruleSetView('- a\n- b\n')).toThrow('not a YAML mapping');
  });
});

describe('rule hit counts', () => {
  it('counts RULE reasons and the lists per version over a bounded range', () => {
    const q = ruleHitsSql({ from: 10, to: 20 }, { settled: [], unsettled: [19700101] }) ?? '';
    expect(q).toContain('FROM decisions FINAL WHERE event_time >= toDateTime(10) AND event_time < toDateTime(20)');
    expect(q).toContain("r LIKE 'RULE:%'");
    expect(q).toContain('LIMIT');
    expect(ruleHitsSql({ from: 10, to: 20 }, { settled: [], unsettled: [] })).toBeNull();
  });

  it('groups hits per version with its decision count, busiest version first', () => {
    expect(
      ruleHits([
        { version: 'v1', reason: '*', n: '10' },
        { version: 'v1', reason: 'RULE:a', n: '2' },
        { version: 'v2', reason: '*', n: 90 },
        { version: 'v2', reason: 'RULE:a', n: '5' },
        { version: 'v2', reason: 'DENY_LIST', n: '1' },
      ]),
    ).toEqual([
      { version: 'v2', decisions: 90, hits: { a: 5, DENY_LIST: 1 } },
      { version: 'v1', decisions: 10, hits: { a: 2 } },
    ]);
  });
});
