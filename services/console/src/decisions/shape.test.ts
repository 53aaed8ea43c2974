import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { type DecisionRowJson, pivotMix, provenance, queueItems, type TransactionRowJson } from './shape.js';

describe('the decision mix', () => {
  it('fills every bucket of the range, one series per action, path and variant, in a stable order', () => {
    const mix = pivotMix({ from: 0, to: 180, bucket: 60 }, [
      { t: '0', action: 'REVIEW', path: 'MODEL_AND_RULES', variant: 'control', n: '2' },
      { t: 0, action: 'APPROVE', path: 'MODEL_AND_RULES', variant: 'strict', n: 5 },
      { t: 120, action: 'APPROVE', path: 'RULES_ONLY', variant: 'control', n: '1' },
      // outside the range: ignored
      { t: 600, action: 'DECLINE', path: 'RULES_ONLY', variant: 'control', n: '9' },
    ]);
    expect(mix.times).toEqual([0, 60, 120]);
    expect(mix.total).toBe(8);
    expect(mix.byAction.names).toEqual(['APPROVE', 'REVIEW', 'DECLINE']);
    expect(mix.byAction.series.APPROVE).toEqual([5, 0, 1]);
    expect(mix.byAction.series.REVIEW).toEqual([2, 0, 0]);
    expect(mix.byPath.series).toEqual({ MODEL_AND_RULES: [7, 0, 0], RULES_ONLY: [0, 0, 1] });
    expect(mix.byVariant.names).toEqual(['control', 'strict']);
    expect(mix.byVariant.series.control).toEqual([2, 0, 1]);
  });
});

const decision: DecisionRowJson = {
  event_id: 'e1',
  customer_id: 'C1',
  event_time: '1767225600',
  action: 'REVIEW',
  reason_codes: ['RULE:large_online_fallback', 'SCORE_BAND:high', 'FEATURE:customer_amount_sum_1d'],
  score: 0.82,
  path: 'MODEL_AND_RULES',
  rule_set_version: '2025-01-01.1',
  model_name: 'fraud_gbdt',
  model_version: '2',
  feature_set_version: 2,
  experiment_variant: 'control',
  decided_at_ms: '1767225600150',
};

const tx: TransactionRowJson = {
  event_id: 'e1',
  event_time: 1767225600,
  customer_id: 'C1',
  terminal_id: 'T9',
  amount_minor: '125000',
  currency: 'EUR',
  channel: 'ECOM',
  country: 'PT',
  feature_set: fraudFeatureSet.name,
  feature_set_version: fraudFeatureSet.version,
  feature_values: fraudFeatureSet.names.map((_, i) => (i === 0 ? 'nan' : i === 1 ? '-inf' : '0.30000000000000004')),
  computed_at_ms: '1767225600100',
};

describe('provenance of one event', () => {
  it('names the logged features, finds the deciding score, the rules fired and the latencies', () => {
    const p = provenance(
      decision,
      tx,
      [
        {
          model_name: 'fraud_gbdt',
          model_version: '2',
          score: 0.82,
          shadow: 0,
          latency_ms: 3.5,
          scored_at_ms: '1767225600120',
          contribution_features: ['customer_amount_sum_1d'],
          contribution_values: [0.4],
        },
        {
          model_name: 'fraud_gbdt',
          model_version: '3',
          score: 0.5,
          shadow: 1,
          latency_ms: 2,
          scored_at_ms: '1767225600121',
          contribution_features: [],
          contribution_values: [],
        },
      ],
      [{ is_fraud: 1, label_time_ms: '1767312000000' }],
      { is_fraud: 1, reviewer: 'ana', reviewed_at_ms: '1767312000000' },
      fraudFeatureSet,
    );
    expect(p.decision.rulesFired).toEqual(['large_online_fallback']);
    expect(p.decision.model).toBe('fraud_gbdt@2');
    expect(p.features?.named).toBe(true);
    expect(p.features?.values[0]).toEqual({ name: fraudFeatureSet.names[0], value: 'NaN' });
    expect(p.features?.values[1]?.value).toBe('−∞');
    expect(p.features?.values[2]?.value).toBe('0.3');
    expect(p.scores.map((s) => [s.model, s.deciding, s.shadow])).toEqual([
      ['fraud_gbdt@2', true, false],
      ['fraud_gbdt@3', false, true],
    ]);
    expect(p.scores[0]?.contributions).toEqual([{ feature: 'customer_amount_sum_1d', value: 0.4 }]);
    expect(p.latency).toEqual({ featuresToDecisionMs: 50, scoringMs: 3.5 });
    expect(p.label).toEqual({ isFraud: true, labelTimeMs: 1767312000000 });
    expect(p.review?.reviewer).toBe('ana');
    expect(p.transaction?.amountMinor).toBe(125000);
  });

  it('numbers features of an unknown feature-set version, and copes with no transaction or score', () => {
    const other = provenance(decision, { ...tx, feature_set_version: 99 }, [], [], undefined, fraudFeatureSet);
    expect(other.features?.named).toBe(false);
    expect(other.features?.values[3]?.name).toBe('#3');
    const bare = provenance(
      { ...decision, model_name: null, model_version: null, path: 'RULES_ONLY', score: null },
      undefined,
      [],
      [],
      undefined,
      fraudFeatureSet,
    );
    expect(bare.features).toBeNull();
    expect(bare.latency).toEqual({ featuresToDecisionMs: null, scoringMs: null });
    expect(bare.label).toBeNull();
  });
});

describe('the review queue', () => {
  it('adds amount and channel where the transaction is stored', () => {
    const items = queueItems(
      [
        {
          event_id: 'e1',
          customer_id: 'C1',
          event_time: '10',
          score: 0.7,
          reason_codes: [],
          experiment_variant: 'control',
          model_version: '2',
          path: 'MODEL_AND_RULES',
        },
        {
          event_id: 'e2',
          customer_id: 'C2',
          event_time: 11,
          score: null,
          reason_codes: ['FALLBACK:RULES_ONLY'],
          experiment_variant: 'control',
          model_version: null,
          path: 'RULES_ONLY',
        },
      ],
      [tx],
    );
    expect(items[0]).toMatchObject({
      eventId: 'e1',
      eventTime: 10,
      amountMinor: 125000,
      currency: 'EUR',
      channel: 'ECOM',
      terminalId: 'T9',
    });
    expect(items[1]).toMatchObject({ eventId: 'e2', amountMinor: null, channel: null, score: null });
  });
});
