import { describe, expect, it } from 'vitest';
import { agg, FeatureDeclarationError, featureSet, groupBy, reachMs } from './dsl.js';
import { fraudFeatureSet } from './fraud.js';

const DAY = 86_400_000;

describe('declarations', () => {
  it('derives output names from entity, source, operation and window', () => {
    const defs = groupBy({ entity: 'customer', aggs: [agg('amount', ['sum', 'max'], ['1h', '1d'])] });
    expect(defs.map((d) => d.name)).toEqual([
      'customer_amount_sum_1h',
      'customer_amount_max_1h',
      'customer_amount_sum_1d',
      'customer_amount_max_1d',
    ]);
  });

  it('refuses operations, sources and windows that do not fit', () => {
    expect(() => agg('terminal', 'sum', ['1d'])).toThrow(FeatureDeclarationError);
    expect(() => agg('amount', 'sum', ['2h' as '1h'])).toThrow(/unknown window/);
    expect(() => groupBy({ entity: 'terminal', aggs: [agg('terminal', 'distinct', ['1d'])] })).toThrow(
      /does not apply to entity/,
    );
    expect(() => groupBy({ entity: 'merchant' as 'customer', aggs: [] })).toThrow(/unknown entity/);
  });

  it('refuses a feature declared twice and a bad version', () => {
    const twice = groupBy({ entity: 'customer', aggs: [agg('amount', 'sum', ['1d'])] });
    expect(() => featureSet({ name: 'x', version: 1, features: [twice, twice] })).toThrow(/declared twice/);
    expect(() => featureSet({ name: 'x', version: 0, features: [twice] })).toThrow(/version/);
  });

  it('fraud_core: the issue feature list, in a stable order, with an index', () => {
    const set = fraudFeatureSet;
    expect(set.name).toBe('fraud_core');
    expect(set.version).toBe(2);
    for (const name of [
      'customer_amount_count_1h',
      'customer_amount_mean_30d',
      'customer_amount_max_7d',
      'customer_terminal_distinct_1d',
      'customer_terminal_distinct_7d',
      'customer_seconds_since_prev',
      'customer_amount_relative_to_mean_30d',
      'terminal_transaction_count_30d',
      'terminal_fraud_rate_7d',
      'event_hour_of_day',
      'event_is_weekend',
      'event_is_night',
      'event_amount',
      'event_channel_ecom',
      'event_country_index',
    ]) {
      expect(set.names[set.index(name)]).toBe(name);
    }
    expect(set.names).toHaveLength(16 + 2 + 2 + 6 + 4 + 4 + 1);
    expect(() => set.index('nope')).toThrow(FeatureDeclarationError);
  });
});

describe('a rate delay', () => {
  it('is kept on the rate features and counts in the set reach', () => {
    const set = featureSet({
      name: 'x',
      version: 1,
      features: [
        groupBy({
          entity: 'terminal',
          aggs: [agg('transaction', 'count', ['30d']), agg('fraud', 'rate', ['1d', '7d'], { delay: '7d' })],
        }),
      ],
    });
    expect(set.features.map((f) => (f.kind === 'window' ? [f.name, f.delayMs] : []))).toEqual([
      ['terminal_transaction_count_30d', 0],
      ['terminal_fraud_rate_1d', 7 * DAY],
      ['terminal_fraud_rate_7d', 7 * DAY],
    ]);
    expect(reachMs(set)).toBe(31 * DAY);
    expect(reachMs(fraudFeatureSet)).toBe(38 * DAY);
  });

  it('applies only to rates, is a known duration, and is one per entity', () => {
    expect(() => agg('amount', 'sum', ['1d'], { delay: '7d' })).toThrow(/applies only to 'rate'/);
    expect(() => agg('fraud', 'rate', ['1d'], { delay: '2w' as '7d' })).toThrow(/unknown delay '2w'/);
    expect(() => agg('fraud', 'rate', ['1d'], { delay: 'toString' as '7d' })).toThrow(/unknown delay/);
    expect(() =>
      featureSet({
        name: 'x',
        version: 1,
        features: [
          groupBy({
            entity: 'terminal',
            aggs: [agg('fraud', 'rate', ['1d'], { delay: '7d' }), agg('fraud', 'rate', ['7d'])],
          }),
        ],
      }),
    ).toThrow(/need one delay/);
  });
});
