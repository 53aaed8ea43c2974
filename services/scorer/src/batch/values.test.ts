import { describe, expect, it } from 'vitest';
import { parseFeatureValue } from './values.js';

describe('parseFeatureValue', () => {
  it('reads decimals exactly as Number does, whatever the notation', () => {
    for (const text of ['0', '-0.5', '12.', '.25', '1e-20', '-3.4E+38', '123456789.125', ' 7 '])
      expect(parseFeatureValue(text)).toBe(Number(text));
  });

  it('reads missing values as NaN and infinities as such', () => {
    for (const text of ['', 'nan', 'NaN', 'NULL', '\\N']) expect(parseFeatureValue(text)).toBeNaN();
    expect(parseFeatureValue('inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseFeatureValue('-inf')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('refuses what Number() would quietly turn into a number or NaN', () => {
    for (const text of ['abc', '0x10', '1,5', '1e', '--1', 'true', '1 2'])
      expect(parseFeatureValue(text)).toBeUndefined();
  });
});
