import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { EnrichedTransaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { VectorMismatchError } from './errors.js';
import { checkVector, packRows } from './vector.js';

const event = (feature_set: string, version: number, n: number): EnrichedTransaction => ({
  transaction: {
    event_id: 'e1',
    event_time: 0,
    customer_id: 'C1',
    terminal_id: 'T1',
    amount_minor: 100,
    currency: 'EUR',
    channel: 'POS',
    country: 'PT',
    device_hash: null,
    ip_hash: null,
  },
  features: { feature_set, version, values: new Array(n).fill(1) },
  computed_at: 0,
});

describe('checkVector', () => {
  const n = fraudFeatureSet.names.length;
  it('accepts a vector of the served feature set', () => {
    expect(checkVector(event('fraud_core', 2, n), fraudFeatureSet)).toBeUndefined();
  });
  it('refuses another version or another set, naming both', () => {
    const error = checkVector(event('fraud_core', 1, n), fraudFeatureSet);
    expect(error).toBeInstanceOf(VectorMismatchError);
    expect(error?.message).toContain('fraud_core v1 is not fraud_core v2');
    expect(checkVector(event('other', 2, n), fraudFeatureSet)).toBeInstanceOf(VectorMismatchError);
  });
  it('refuses a vector of the wrong length', () => {
    expect(checkVector(event('fraud_core', 2, n - 1), fraudFeatureSet)?.message).toContain(`has ${n - 1} values`);
  });
});

describe('packRows', () => {
  it('packs row-major, NaN kept', () => {
    expect(
      Array.from(
        packRows(
          [
            [1, Number.NaN],
            [3, 4],
          ],
          2,
        ),
      ),
    ).toEqual([1, Number.NaN, 3, 4]);
  });
});
