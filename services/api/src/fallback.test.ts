import { parseRuleSet } from '@pipeline/decision';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { EnrichedTransaction, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { rulesOnlyDecision } from './fallback.js';

const rules = parseRuleSet(
  `
version: "t.1"
default_action: APPROVE
lists: { deny: { customers: [C666], terminals: [] }, allow: { customers: [], terminals: [] } }
score_bands: [{ name: low, min: 0 }]
thresholds: { priority: 50, default: { decline: 0.9 }, segments: [] }
rules:
  - id: busy_hour
    priority: 80
    action: REVIEW
    when: { feature: customer_amount_count_1h, op: ">=", value: 5 }
  - id: large
    priority: 100
    action: DECLINE
    when: { field: transaction.amount_minor, op: ">", value: 1000000 }
experiment:
  name: trial
  variants: [{ name: control, share: 0.5 }, { name: strict, share: 0.5, thresholds: { default: { decline: 0.5 } } }]
`,
  fraudFeatureSet,
);

const tx = (patch: Partial<Transaction> = {}): Transaction => ({
  event_id: 'e1',
  event_time: Date.UTC(2026, 0, 1),
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 500,
  currency: 'EUR',
  channel: 'POS',
  country: 'PT',
  device_hash: null,
  ip_hash: null,
  ...patch,
});

const enriched = (t: Transaction, countLastHour: number, version = fraudFeatureSet.version): EnrichedTransaction => {
  const values = fraudFeatureSet.names.map(() => 0);
  values[fraudFeatureSet.index('customer_amount_count_1h')] = countLastHour;
  return { transaction: t, features: { feature_set: fraudFeatureSet.name, version, values }, computed_at: 1 };
};

describe('rulesOnlyDecision', () => {
  it("decides with the event's features when they came: the engine's own rules-only decision", () => {
    const t = tx();
    const { decision, features } = rulesOnlyDecision(rules, t, enriched(t, 7), fraudFeatureSet, 42);
    expect(features).toBe('as_of_event');
    expect(decision).toMatchObject({
      event_id: 'e1',
      action: 'REVIEW',
      reason_codes: ['RULE:busy_hour', 'FALLBACK:RULES_ONLY'],
      path: 'RULES_ONLY',
      score: null,
      rule_set_version: 't.1',
      feature_set_version: fraudFeatureSet.version,
      decided_at: 42,
    });
  });

  it('without features no rule on features fires; rules on the transaction and the lists still do', () => {
    expect(rulesOnlyDecision(rules, tx(), null, fraudFeatureSet, 1)).toMatchObject({
      features: 'missing',
      decision: { action: 'APPROVE', reason_codes: ['FALLBACK:RULES_ONLY'] },
    });
    expect(rulesOnlyDecision(rules, tx({ amount_minor: 2_000_000 }), null, fraudFeatureSet, 1).decision).toMatchObject({
      action: 'DECLINE',
      reason_codes: ['RULE:large', 'FALLBACK:RULES_ONLY'],
    });
    expect(
      rulesOnlyDecision(rules, tx({ customer_id: 'C666' }), null, fraudFeatureSet, 1).decision.reason_codes,
    ).toEqual(['DENY_LIST', 'FALLBACK:RULES_ONLY']);
  });

  it('ignores a vector of another feature-set version, as the engine refuses it', () => {
    const t = tx();
    expect(rulesOnlyDecision(rules, t, enriched(t, 7, fraudFeatureSet.version + 1), fraudFeatureSet, 1)).toMatchObject({
      features: 'missing',
      decision: { action: 'APPROVE' },
    });
  });

  it("assigns the customer's experiment variant, the same on every call", () => {
    const variants = new Set(
      Array.from(
        { length: 40 },
        (_, i) =>
          rulesOnlyDecision(rules, tx({ customer_id: `C${i}` }), null, fraudFeatureSet, 1).decision.experiment_variant,
      ),
    );
    expect(variants).toEqual(new Set(['control', 'strict']));
    const once = rulesOnlyDecision(rules, tx({ customer_id: 'C9' }), null, fraudFeatureSet, 1).decision
      .experiment_variant;
    expect(
      rulesOnlyDecision(rules, tx({ customer_id: 'C9' }), null, fraudFeatureSet, 1).decision.experiment_variant,
    ).toBe(once);
  });
});
