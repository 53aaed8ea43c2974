import { agg, eventFeatures, featureSet, fraudFeatureSet, groupBy, sincePrev } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { featureGroup, isQuotient, referenceKeepMs } from './feature-groups.js';

const DAY = 86_400_000;

describe('featureGroup', () => {
  it('puts each fraud feature in the group its name says', () => {
    const groups = fraudFeatureSet.features.map((f) => [f.name, featureGroup(f)] as const);
    for (const [name, group] of groups) {
      if (name.startsWith('customer_')) expect(group, name).toBe('customer');
      else if (name.startsWith('terminal_fraud_rate_')) expect(group, name).toBe('terminal_fraud_rates');
      else if (name.startsWith('terminal_')) expect(group, name).toBe('terminal_counts');
      else expect(group, name).toBe('event');
    }
    expect(new Set(groups.map(([, g]) => g)).size).toBe(4);
  });
});

describe('isQuotient', () => {
  it('holds for means, rates, ratios and seconds, not for counts, sums, maxima or event fields', () => {
    const quotients = fraudFeatureSet.features.filter(isQuotient).map((f) => f.name);
    expect(quotients).toEqual([
      'customer_amount_mean_1h',
      'customer_amount_mean_1d',
      'customer_amount_mean_7d',
      'customer_amount_mean_30d',
      'customer_seconds_since_prev',
      'customer_amount_relative_to_mean_30d',
      'terminal_fraud_rate_1d',
      'terminal_fraud_rate_7d',
      'terminal_fraud_rate_30d',
    ]);
  });
});

describe('referenceKeepMs', () => {
  it('is the longest window plus its delay and bucket, from the declarations, plus a minute', () => {
    expect(referenceKeepMs(fraudFeatureSet)).toBe(38 * DAY + 60_000);
    const short = featureSet({
      name: 'short',
      version: 1,
      features: [groupBy({ entity: 'customer', aggs: [agg('amount', 'sum', ['1h', '1d'])] })],
    });
    expect(referenceKeepMs(short)).toBe(DAY + 3_600_000 + 60_000);
  });

  it('is a minute for a set without windows', () => {
    const plain = featureSet({
      name: 'plain',
      version: 1,
      features: [
        eventFeatures({ fields: ['amount'] }),
        groupBy({ entity: 'customer', aggs: [], derived: [sincePrev()] }),
      ],
    });
    expect(referenceKeepMs(plain)).toBe(60_000);
  });
});
