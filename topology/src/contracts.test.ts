import { type AuditMessage, type DeadLetter, parseAvroSchema } from '@pipeline/shared';
import type avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  ACTION_STATUSES,
  type Alert,
  type Decision,
  type EnrichedRequest,
  type EnrichedTransaction,
  EXPERIMENT_RECOMMENDATIONS,
  EXPERIMENT_VERDICTS,
  type ExperimentDecision,
  INTERACTION_TYPES,
  type Interaction,
  LABEL_OUTCOMES,
  type Label,
  POLICY_MODES,
  type Recommendation,
  type RecommendationLabel,
  type RecommendationRequest,
  type RecommendationScores,
  type RetrainingTrigger,
  type Score,
  TRANSACTION_FIELDS,
  type Transaction,
} from './contracts.js';
import { loadSchemas, schemaFor } from './schemas.js';

const transaction: Transaction = {
  event_id: 'e1',
  event_time: 1_767_225_600_000,
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 100,
  currency: 'EUR',
  channel: 'POS',
  country: 'FR',
  device_hash: null,
  ip_hash: null,
};
const samples: [string, unknown][] = [
  ['fraud/transaction', transaction],
  [
    'fraud/label',
    {
      transaction_id: 'e1',
      customer_id: 'C1',
      terminal_id: 'T1',
      is_fraud: true,
      label_time: 2,
      transaction_time: 1,
    } satisfies Label,
  ],
  [
    'fraud/enriched-transaction',
    {
      transaction,
      features: { feature_set: 'fraud_core', version: 1, values: [1, Number.NaN] },
      computed_at: 2,
    } satisfies EnrichedTransaction,
  ],
  [
    'fraud/score',
    {
      event_id: 'e1',
      customer_id: 'C1',
      event_time: 1,
      model_name: 'm',
      model_version: '1',
      feature_set_version: 1,
      score: 0.5,
      shadow: false,
      latency_ms: 0.7,
      scored_at: 2,
      contributions: [{ feature: 'customer_amount_sum_1d', value: 0.2 }],
    } satisfies Score,
  ],
  [
    'fraud/decision',
    {
      event_id: 'e1',
      customer_id: 'C1',
      event_time: 1,
      action: 'REVIEW',
      reason_codes: ['RULE:x'],
      score: null,
      path: 'RULES_ONLY',
      rule_set_version: 'r1',
      model_name: null,
      model_version: null,
      feature_set_version: 1,
      experiment_variant: 'control',
      decided_at: 2,
    } satisfies Decision,
  ],
  [
    'monitor/alert',
    {
      alert_id: 'ep-1/OPEN',
      episode_id: 'ep-1',
      status: 'OPEN',
      check: 'DRIFT',
      model_name: 'fraud_gbdt',
      model_version: '1',
      variant: 'control',
      window_start: 1,
      window_end: 2,
      reasons: ['psi(event_amount) 0.41 >= 0.25'],
      evidence: [{ subject: 'event_amount', metric: 'psi', value: 0.41, threshold: 0.25, n: 300 }],
      reference_start: 0,
      reference_end: 1,
      emitted_at: 3,
    } satisfies Alert,
  ],
  [
    'monitor/retraining-trigger',
    {
      trigger_id: 't-1',
      episode_id: null,
      model_name: 'fraud_gbdt',
      model_version: '1',
      variant: '',
      checks: ['PERFORMANCE'],
      reasons: ['by hand'],
      evidence: [],
      window_start: 1,
      window_end: 2,
      reference_start: null,
      reference_end: null,
      requested_by: 'ops',
      requested_at: 3,
    } satisfies RetrainingTrigger,
  ],
  [
    'experiments/decision',
    {
      decision_id: 'trial/challenger/2026-01-02T00:00:00.000Z',
      experiment: 'trial',
      variant: 'challenger',
      control: 'control',
      as_of: 1,
      verdict: 'CHALLENGER_WINS',
      recommendation: 'PROMOTE',
      mode: 'DRY_RUN',
      action_status: 'DRY_RUN',
      action_detail: 'would promote fraud_gbdt@2 to champion',
      control_model: 'fraud_gbdt@1',
      variant_model: 'fraud_gbdt@2',
      min_p_value: 0.01,
      reasons: ['fraud_caught_per_txn difference 1.2'],
      figures: [
        { metric: 'fraud_caught_per_txn', value: 3, control_value: 2, difference: 1, cs_low: 0.2, cs_high: Number.NaN },
      ],
      emitted_at: 2,
    } satisfies ExperimentDecision,
  ],
  [
    'pipeline/audit',
    {
      id: '0b6f1c1e-8f0e-4c50-9a7e-3d2f1f9d5a10',
      at: 1,
      actor: 'features',
      action: 'config',
      subject: 'features',
      reason: 'start',
      service: 'features',
      details: '{"hash":"h"}',
    } satisfies AuditMessage,
  ],
  [
    'pipeline/dead-letter',
    {
      original_value: Buffer.from([0, 1]),
      original_key: null,
      topic: 'recsys.interactions',
      partition: 0,
      offset: 7,
      error_type: 'ValidationError',
      error: 'missing user_id',
      service: 'features',
      dead_lettered_at: 2,
      original_size: null,
    } satisfies DeadLetter,
  ],
  [
    'recsys/interaction',
    {
      event_id: 'i1',
      event_time: 1,
      user_id: 'U1',
      item_id: 'I1',
      category: 'books',
      type: 'ADD_TO_CART',
      recommendation_id: 'r1',
      position: 3,
      price_minor: 1299,
    } satisfies Interaction,
  ],
  [
    'recsys/recommendation-request',
    {
      request_id: 'r1',
      event_time: 1,
      user_id: 'U1',
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: ['I1', 'I2'],
      candidate_source: null,
      k: 10,
    } satisfies RecommendationRequest,
  ],
  [
    'recsys/enriched-request',
    {
      request: {
        request_id: 'r1',
        event_time: 1,
        user_id: 'U1',
        context: { surface: 'home', device: 'mobile', current_item_id: null },
        candidate_item_ids: ['I1', 'I2'],
        candidate_source: null,
        k: 10,
      },
      features: {
        feature_set: 'recsys_core',
        version: 1,
        candidates: [
          { item_id: 'I1', category: 'books', values: [1, Number.NaN] },
          { item_id: 'I2', category: '-', values: [0, Number.NaN] },
        ],
      },
      computed_at: 2,
    } satisfies EnrichedRequest,
  ],
  [
    'recsys/score',
    {
      request_id: 'r1',
      user_id: 'U1',
      event_time: 1,
      model_name: 'recsys_rank',
      model_version: '1',
      feature_set_version: 1,
      scores: [0.12, 0.03],
      shadow: false,
      latency_ms: 0.4,
      scored_at: 2,
    } satisfies RecommendationScores,
  ],
  [
    'recsys/recommendation',
    {
      request_id: 'r1',
      user_id: 'U1',
      event_time: 1,
      items: [{ item_id: 'I2', position: 0, score: 0.3, reason_codes: ['MODEL'] }],
      path: 'MODEL_AND_RULES',
      rule_set_version: 'r1',
      model_name: 'recsys_ranker',
      model_version: '1',
      feature_set_version: 1,
      experiment_variant: 'control',
      decided_at: 2,
    } satisfies Recommendation,
  ],
  [
    'recsys/label',
    {
      recommendation_id: 'r1',
      user_id: 'U1',
      item_id: 'I2',
      position: 0,
      outcome: 'CLICK',
      interaction_id: 'i2',
      recommendation_time: 1,
      label_time: 2,
    } satisfies RecommendationLabel,
  ],
];

describe('TypeScript contracts match the Avro schemas', () => {
  it("the experiment decision's enum lists are the schema's symbols, in order", () => {
    const fields = (schemaFor('experiments/decision').type.schema() as { fields: { name: string; type: unknown }[] })
      .fields;
    const symbols = (name: string) =>
      (fields.find((f) => f.name === name)?.type as { symbols: string[] } | undefined)?.symbols;
    expect([...EXPERIMENT_VERDICTS]).toEqual(symbols('verdict'));
    expect([...EXPERIMENT_RECOMMENDATIONS]).toEqual(symbols('recommendation'));
    expect([...POLICY_MODES]).toEqual(symbols('mode'));
    expect([...ACTION_STATUSES]).toEqual(symbols('action_status'));
  });

  it("the recommendation enums' lists are the schemas' symbols, in order", () => {
    const symbols = (ref: string, field: string) =>
      (
        (schemaFor(ref).type.schema() as { fields: { name: string; type: unknown }[] }).fields.find(
          (f) => f.name === field,
        )?.type as { symbols: string[] } | undefined
      )?.symbols;
    expect([...INTERACTION_TYPES]).toEqual(symbols('recsys/interaction', 'type'));
    expect([...LABEL_OUTCOMES]).toEqual(symbols('recsys/label', 'outcome'));
  });

  it('every schema under schemas/ has a sample here', () => {
    expect(samples.map(([ref]) => ref).sort()).toEqual([...loadSchemas().keys()].sort());
  });

  it('TRANSACTION_FIELDS lists the transaction schema fields in order', () => {
    const fields = (schemaFor('fraud/transaction').type.schema() as { fields: { name: string }[] }).fields;
    expect([...TRANSACTION_FIELDS]).toEqual(fields.map((f) => f.name));
  });

  it.each(samples)('%s', (ref, sample) => {
    const { type } = schemaFor(ref);
    const problems: string[] = [];
    type.isValid(sample, { errorHook: (path) => problems.push(path.join('.')) });
    expect(problems).toEqual([]);
    // And every schema field is a key of the sample: a field added to the schema fails here.
    const fields = (type.schema() as { fields: { name: string }[] }).fields.map((f) => f.name);
    expect(Object.keys(sample as object).sort()).toEqual(fields.sort());
  });
});

describe('schema evolution', () => {
  it('a label written before transaction_time existed decodes with it null (BACKWARD)', () => {
    const { type } = schemaFor('fraud/label');
    const before = parseAvroSchema({
      ...(type.schema() as { fields: { name: string }[] }),
      fields: (type.schema() as { fields: { name: string }[] }).fields.filter((f) => f.name !== 'transaction_time'),
    } as avro.Schema);
    const old = { transaction_id: 'e1', customer_id: 'C1', terminal_id: 'T1', is_fraud: true, label_time: 2 };
    const resolver = type.createResolver(before);
    expect(type.fromBuffer(before.toBuffer(old), resolver)).toEqual({ ...old, transaction_time: null });
  });
});
