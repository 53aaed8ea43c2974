import type { EnrichedTransaction, Score, Transaction } from '@pipeline/topology';
import type { FeatureSetLike } from './feature-set.js';

/** Small fixtures shared by the unit and integration tests. */
export const tinyFeatureSet: FeatureSetLike = {
  name: 'tiny',
  version: 3,
  names: ['txn_count_1h', 'amount_ratio', 'terminal_fraud_rate'],
};

export function transaction(overrides: Partial<Transaction> = {}): Transaction {
  return {
    event_id: 'e1',
    event_time: 1_767_225_600_000,
    customer_id: 'C1',
    terminal_id: 'T1',
    amount_minor: 1_000,
    currency: 'EUR',
    channel: 'POS',
    country: 'PT',
    device_hash: null,
    ip_hash: null,
    ...overrides,
  };
}

export function enriched(
  tx: Partial<Transaction> = {},
  values: number[] = [0, 1, 0],
  set: Pick<FeatureSetLike, 'name' | 'version'> = tinyFeatureSet,
): EnrichedTransaction {
  return {
    transaction: transaction(tx),
    features: { feature_set: set.name, version: set.version, values },
    computed_at: 1_767_225_600_010,
  };
}

export function score(eventId: string, value: number, overrides: Partial<Score> = {}): Score {
  return {
    event_id: eventId,
    customer_id: 'C1',
    event_time: 1_767_225_600_000,
    model_name: 'fraud_gbm',
    model_version: '7',
    feature_set_version: tinyFeatureSet.version,
    score: value,
    shadow: false,
    latency_ms: 1.5,
    scored_at: 1_767_225_600_020,
    contributions: [
      { feature: 'amount_ratio', value: 0.3 },
      { feature: 'txn_count_1h', value: 0.1 },
    ],
    ...overrides,
  };
}
