import { describe, expect, it } from 'vitest';
import { globEscape } from './glob.js';

describe('globEscape', () => {
  it('escapes what SCAN MATCH reads as a pattern and leaves the rest', () => {
    expect(globEscape('C1')).toBe('C1');
    expect(globEscape('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });
});
