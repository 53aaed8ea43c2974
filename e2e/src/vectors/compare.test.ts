import { agg, eventFeatures, featureSet, groupBy, sincePrev } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { compareValue, createTally, distance, QUOTIENT_TOLERANCE } from './compare.js';

/** customer_amount_count_1d, customer_amount_mean_1d, customer_seconds_since_prev,
 *  terminal_transaction_count_1d, terminal_fraud_rate_1d, event_amount */
const set = featureSet({
  name: 'small',
  version: 1,
  features: [
    groupBy({ entity: 'customer', aggs: [agg('amount', ['count', 'mean'], ['1d'])], derived: [sincePrev()] }),
    groupBy({ entity: 'terminal', aggs: [agg('transaction', 'count', ['1d']), agg('fraud', 'rate', ['1d'])] }),
    eventFeatures({ fields: ['amount'] }),
  ],
});

const reference = [3, 1234.5 / 3, 61.25, 7, 1 / 7, 2500];

describe('compareValue', () => {
  it('takes NaN as equal to NaN and nothing else', () => {
    expect(compareValue(Number.NaN, Number.NaN, false)).toBe('exact');
    expect(compareValue(Number.NaN, 0, true)).toBe('differs');
    expect(compareValue(0, Number.NaN, true)).toBe('differs');
  });

  it('compares integers exactly, quotients within the tolerance only', () => {
    expect(compareValue(7, 7, false)).toBe('exact');
    expect(compareValue(7, 7 + 7 * Number.EPSILON, false)).toBe('differs');
    const q = 1 / 7;
    expect(compareValue(q + Number.EPSILON / 8, q, true)).toBe('close');
    expect(compareValue(q * (1 + 100 * QUOTIENT_TOLERANCE), q, true)).toBe('differs');
    expect(compareValue(1 / 6, 1 / 7, true)).toBe('differs');
    expect(compareValue(Number.POSITIVE_INFINITY, Number.MAX_VALUE, true)).toBe('differs');
  });

  it('ranks a NaN against a number as the farthest', () => {
    expect(distance(Number.NaN, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(distance(8, 10)).toBe(2);
    expect(distance(0, 40)).toBeGreaterThan(distance(0, 1));
  });
});

describe('createTally', () => {
  it('counts identical vectors, NaN included, as exact in every group', () => {
    const tally = createTally(set, { examples: 3 });
    expect(tally.add('e1', [...reference], reference)).toBe(true);
    const withNaN = [0, Number.NaN, Number.NaN, 0, Number.NaN, 100];
    expect(tally.add('e2', Float64Array.from(withNaN), withNaN)).toBe(true);
    const r = tally.result();
    expect(r).toMatchObject({ vectors: 2, exactVectors: 2, exactShare: 1, closeValues: 0, worst: [] });
    expect(r.groups).toEqual({
      customer: { features: 3, exactVectors: 2, exactShare: 1 },
      terminal_counts: { features: 1, exactVectors: 2, exactShare: 1 },
      terminal_fraud_rates: { features: 1, exactVectors: 2, exactShare: 1 },
      event: { features: 1, exactVectors: 2, exactShare: 1 },
    });
  });

  it('fails a vector when any one value differs, and charges only that value’s group', () => {
    for (let i = 0; i < reference.length; i++) {
      const logged = [...reference];
      logged[i] = (logged[i] as number) + 1;
      const tally = createTally(set, { examples: 3 });
      expect(tally.add('e1', logged, reference), set.names[i]).toBe(false);
      const r = tally.result();
      expect(r.exactShare).toBe(0);
      const failedGroups = Object.entries(r.groups)
        .filter(([, g]) => g.exactShare === 0)
        .map(([name]) => name);
      expect(failedGroups).toHaveLength(1);
      expect(r.features.filter((f) => f.differs > 0).map((f) => f.name)).toEqual([set.names[i]]);
      expect(r.worst).toEqual([{ eventId: 'e1', feature: set.names[i], logged: logged[i], reference: reference[i] }]);
    }
  });

  it('fails a NaN logged where the reference has a number, and the reverse', () => {
    const tally = createTally(set, { examples: 3 });
    expect(tally.add('e1', [Number.NaN, ...reference.slice(1)], reference)).toBe(false);
    expect(tally.add('e2', reference, [Number.NaN, ...reference.slice(1)])).toBe(false);
    expect(tally.result().groups.customer?.exactVectors).toBe(0);
  });

  it('accepts a quotient one unit in the last place off as close, and an integer never', () => {
    const tally = createTally(set, { examples: 3 });
    const logged = [...reference];
    logged[1] = (reference[1] as number) * (1 + Number.EPSILON);
    expect(tally.add('e1', logged, reference)).toBe(true);
    expect(tally.result()).toMatchObject({ exactVectors: 1, closeValues: 1 });
    expect(tally.result().features.find((f) => f.name === 'customer_amount_mean_1d')?.close).toBe(1);
    const count = [...reference];
    count[3] = 7 * (1 + Number.EPSILON);
    expect(tally.add('e2', count, reference)).toBe(false);
  });

  it('fails a vector of the wrong length', () => {
    const tally = createTally(set, { examples: 3 });
    expect(tally.add('e1', reference.slice(1), reference)).toBe(false);
    expect(tally.result()).toMatchObject({ vectors: 1, exactVectors: 0, wrongLength: 1 });
    expect(tally.result().worst[0]).toMatchObject({ feature: '(vector length)', logged: 5, reference: 6 });
  });

  it('counts vectors of another set, missing and unexpected ones apart', () => {
    const tally = createTally(set, { examples: 3 });
    tally.add('e1', reference, reference);
    tally.otherSet();
    tally.missing('e9');
    tally.unexpected('x1');
    expect(tally.result()).toMatchObject({
      vectors: 2,
      exactVectors: 1,
      exactShare: 0.5,
      otherSet: 1,
      missing: 1,
      unexpected: 1,
      missingExamples: ['e9'],
      unexpectedExamples: ['x1'],
    });
  });

  it('lists the worst differences in turns over the features, largest first, at most `examples`', () => {
    const tally = createTally(set, { examples: 3 });
    for (let k = 1; k <= 5; k++) {
      const logged = [...reference];
      logged[0] = 3 + k; // count off by k
      logged[3] = 7 + 1; // terminal count always off by one
      tally.add(`e${k}`, logged, reference);
    }
    const worst = tally.result().worst;
    expect(worst.map((d) => [d.eventId, d.feature])).toEqual([
      ['e5', 'customer_amount_count_1d'],
      ['e1', 'terminal_transaction_count_1d'],
      ['e4', 'customer_amount_count_1d'],
    ]);
  });
});
