import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { compilePlan, unpackAggregates } from './plan.js';
import { compileVector, entityFeatures } from './vector.js';

const plan = compilePlan(fraudFeatureSet, 300_000);
const set = fraudFeatureSet;
// Saturday 2026-01-03 23:30 UTC
const tx: Transaction = {
  event_id: 'e',
  event_time: Date.UTC(2026, 0, 3, 23, 30),
  customer_id: 'C',
  terminal_id: 'T',
  amount_minor: 3000,
  currency: 'EUR',
  channel: 'ECOM',
  country: 'DE',
  device_hash: null,
  ip_hash: null,
};

describe('compileVector', () => {
  // script replies: status, then the aggregates (see layoutOf); here at offset 1 of padded arrays
  const c = [9, 1, 100, 100, 2, 300, 200, 2, 300, 200, 3, 600, 300, 2, 2, tx.event_time - 90_000];
  // terminal: counts 0, 4, 8; no previous; per rate window frauds and transactions a week back
  const t = [9, 9, 0, 4, 8, 0, 0, 0, 1, 5, 3, 12];
  const customer = unpackAggregates(plan.customer, c, 1);
  const v = compileVector(set, plan)(tx, c, 1, t, 2);
  const at = (name: string) => v[set.index(name)];

  it('derives means, ratios and rates; NaN where undefined', () => {
    expect(v).toHaveLength(set.names.length);
    expect(at('customer_amount_mean_1d')).toBe(150);
    expect(at('customer_amount_max_30d')).toBe(300);
    expect(at('customer_amount_relative_to_mean_30d')).toBe(15);
    expect(at('customer_seconds_since_prev')).toBe(90);
    expect(at('customer_terminal_distinct_7d')).toBe(2);
    expect(at('terminal_transaction_count_7d')).toBe(4);
    expect(at('terminal_fraud_rate_1d')).toBeNaN();
    expect(at('terminal_fraud_rate_7d')).toBe(0.2);
    expect(at('terminal_fraud_rate_30d')).toBe(0.25);
  });

  it('computes event features from the event', () => {
    expect(at('event_hour_of_day')).toBe(23);
    expect(at('event_is_weekend')).toBe(1);
    expect(at('event_is_night')).toBe(1);
    expect(at('event_amount')).toBe(3000);
    expect(at('event_channel_ecom')).toBe(1);
    expect(at('event_channel_pos')).toBe(0);
    expect(at('event_country_index')).toBe(5);
  });

  it('entityFeatures gives only that entity features, with event-relative ones NaN', () => {
    const f = entityFeatures(set, 'customer', customer, tx.event_time);
    expect(Object.keys(f).every((k) => k.startsWith('customer_'))).toBe(true);
    expect(f.customer_amount_relative_to_mean_30d).toBeNaN();
    expect(f.customer_amount_count_1h).toBe(1);
    const terminal = entityFeatures(set, 'terminal', unpackAggregates(plan.terminal, t, 2), tx.event_time);
    expect(terminal.terminal_fraud_rate_1d).toBeNaN();
    expect(terminal.terminal_fraud_rate_7d).toBe(0.2);
    expect(terminal.terminal_fraud_rate_30d).toBe(0.25);
  });
});
