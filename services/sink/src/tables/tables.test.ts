import { createTokenizer, parseKeyRing } from '@pipeline/shared';
import type { Decision, EnrichedTransaction, Label, Score } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { RowRejectedError } from '../errors.js';
import { DECISION_COLUMNS, decisionRow, decisionsTable } from './decisions.js';
import { labelRow } from './labels.js';
import { scoreRow } from './scores.js';
import { insertSql } from './table.js';
import { enrichedRow } from './transactions-enriched.js';

const tokens = createTokenizer(parseKeyRing(`k1:${'x'.repeat(32)}`));
const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

const enriched: EnrichedTransaction = {
  transaction: {
    event_id: 'e1',
    event_time: t0,
    customer_id: 'C1',
    terminal_id: 'T1',
    amount_minor: 1234,
    currency: 'EUR',
    channel: 'ECOM',
    country: 'FR',
    device_hash: null,
    ip_hash: 'ip',
  },
  features: { feature_set: 'fraud_core', version: 3, values: [1.5, Number.NaN] },
  computed_at: t0 + 5,
};

const decision: Decision = {
  event_id: 'e1',
  customer_id: 'C1',
  event_time: t0,
  action: 'DECLINE',
  reason_codes: ['RULE:amount_over_limit', "it's"],
  score: null,
  path: 'RULES_ONLY',
  rule_set_version: 'rules-7',
  model_name: null,
  model_version: null,
  feature_set_version: 3,
  experiment_variant: 'control',
  decided_at: t0 + 9,
};

describe('rows from records', () => {
  it('maps an enriched transaction: DateTime in seconds, the event time and version column in ms, NaN kept', () => {
    const row = enrichedRow({ ...enriched, transaction: { ...enriched.transaction, event_time: t0 + 437 } }, tokens);
    expect(row).toMatchObject({
      event_time: Math.floor((t0 + 437) / 1000),
      event_time_ms: t0 + 437,
      computed_at_ms: t0 + 5,
      feature_set_version: 3,
    });
    expect(row.feature_values[1]).toBeNaN();
  });

  it('splits score contributions into parallel arrays', () => {
    const score: Score = {
      event_id: 'e1',
      customer_id: 'C1',
      event_time: t0,
      model_name: 'gbt',
      model_version: '2',
      feature_set_version: 3,
      score: 0.7,
      shadow: true,
      latency_ms: 1.2,
      scored_at: t0 + 7,
      contributions: [
        { feature: 'amount', value: 0.4 },
        { feature: 'velocity_1h', value: 0.1 },
      ],
    };
    expect(scoreRow(score, tokens)).toMatchObject({
      contribution_features: ['amount', 'velocity_1h'],
      contribution_values: [0.4, 0.1],
      shadow: true,
    });
  });

  it('rejects a time ClickHouse DateTime cannot hold, instead of letting it wrap', () => {
    expect(() => decisionRow({ ...decision, event_time: -1_000 }, tokens)).toThrow(RowRejectedError);
  });

  it('refuses what the contract refuses, as the feature service does: never stored as valid', () => {
    const bad = (over: Partial<EnrichedTransaction['transaction']>) => () =>
      enrichedRow({ ...enriched, transaction: { ...enriched.transaction, ...over } }, tokens);
    expect(bad({ currency: 'EURO' })).toThrow(/invalid currency "EURO"/);
    expect(bad({ customer_id: 'C\u200b1' })).toThrow(RowRejectedError);
    const label: Label = {
      transaction_id: 'e1',
      customer_id: 'C1',
      terminal_id: 'T1',
      is_fraud: true,
      label_time: 0,
      transaction_time: t0 - 1000,
    };
    expect(() => labelRow(label, tokens)).toThrow(/invalid label_time 0/);
    expect(() => labelRow({ ...label, label_time: t0, terminal_id: '' }, tokens)).toThrow(/missing terminal_id/);
    expect(labelRow({ ...label, label_time: t0 }, tokens)).toMatchObject({
      label_time_ms: t0,
      transaction_time_ms: t0 - 1000,
    });
    expect(() => labelRow({ ...label, label_time: t0, transaction_time: null }, tokens)).toThrow(
      /missing transaction_time/,
    );
  });
});

describe('identifiers', () => {
  it('are stored as tokens in every row that holds them, raw ids nowhere', () => {
    const customer = tokens.token('customer', 'C1');
    const terminal = tokens.token('terminal', 'T1');
    expect(enrichedRow(enriched, tokens)).toMatchObject({ customer_id: customer, terminal_id: terminal });
    expect(decisionRow(decision, tokens).customer_id).toBe(customer);
    const label: Label = {
      transaction_id: 'e1',
      customer_id: 'C1',
      terminal_id: 'T1',
      is_fraud: true,
      label_time: t0,
      transaction_time: t0 - 1000,
    };
    expect(labelRow(label, tokens)).toMatchObject({ customer_id: customer, terminal_id: terminal });
    // A label whose ids are tokens already (a console review) keeps them.
    expect(labelRow({ ...label, customer_id: customer, terminal_id: terminal }, tokens)).toMatchObject({
      customer_id: customer,
      terminal_id: terminal,
    });
    expect(insertSql(decisionsTable, [decisionRow(decision, tokens)])).not.toContain("'C1'");
  });
});

describe('insertSql', () => {
  it('lists the columns in order and renders NULL, arrays, escaped strings and nan', () => {
    const text = insertSql(decisionsTable, [decisionRow(decision, tokens)]);
    expect(text.split('\n')[0]).toBe(`INSERT INTO decisions (${DECISION_COLUMNS.join(', ')}) VALUES`);
    expect(text).toContain("['RULE:amount_over_limit', 'it\\'s']");
    expect(text).toContain("NULL, 'RULES_ONLY'");
    const enrichedText = insertSql({ name: 'transactions_enriched', columns: ['feature_values'] as const }, [
      enrichedRow(enriched, tokens),
    ]);
    expect(enrichedText).toContain('([1.5, nan])');
  });
});
