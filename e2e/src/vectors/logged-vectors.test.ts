import { describe, expect, it } from 'vitest';
import { parseFloat64, parseFloat64Array, parseLoggedRow } from './logged-vectors.js';

describe('parseFloat64Array', () => {
  it('reads what ClickHouse writes for an Array(Float64), NaN and infinities included', () => {
    // `SELECT [1/3, nan, inf, -inf, 1e-7, 0.1+0.2, -0.0, 1e300, 123456.789] FORMAT TabSeparated` on 18.16:
    const text = '[0.3333333333333333,nan,inf,-inf,1e-7,0.30000000000000004,-0,1e300,123456.789]';
    const values = [...parseFloat64Array(text)];
    expect(values).toEqual([
      1 / 3,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1e-7,
      0.1 + 0.2,
      -0,
      1e300,
      123456.789,
    ]);
    expect(parseFloat64Array('[]')).toHaveLength(0);
  });

  it('refuses what is not a number rather than reading it as 0 or NaN', () => {
    expect(() => parseFloat64('')).toThrow(/not a ClickHouse Float64/);
    expect(() => parseFloat64('null')).toThrow(/not a ClickHouse Float64/);
    expect(() => parseFloat64Array('[1,,2]')).toThrow(/not a ClickHouse Float64/);
    expect(() => parseFloat64Array('1,2')).toThrow(/not a ClickHouse array/);
  });
});

describe('parseLoggedRow', () => {
  it('reads event id, feature set, version and values', () => {
    const row = parseLoggedRow('0b7c5a1e-4f2d-4a11-8c3e-000000000001\tfraud_core\t1\t[3,nan,0.5]');
    expect(row.eventId).toBe('0b7c5a1e-4f2d-4a11-8c3e-000000000001');
    expect(row.featureSet).toBe('fraud_core');
    expect(row.version).toBe(1);
    expect([...row.values]).toEqual([3, Number.NaN, 0.5]);
  });

  it('refuses a line of other columns', () => {
    expect(() => parseLoggedRow('e1\tfraud_core\t[1]')).toThrow(/expected 4 columns, got 3/);
  });
});
