import { parseAvroSchema } from '@pipeline/shared';
import type avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  type Decision,
  type EnrichedTransaction,
  type Label,
  type RetrainingTrigger,
  type Score,
  TRANSACTION_FIELDS,
  type Transaction,
} from './contracts.js';
import { schemaFor } from './schemas.js';

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
];

describe('TypeScript contracts match the Avro schemas', () => {
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
