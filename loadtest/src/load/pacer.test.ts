import { describe, expect, it } from 'vitest';
import { createPacer, dueWithin } from './pacer.js';

describe('pacer', () => {
  it('makes event i due at start + i / rate, on an absolute schedule', () => {
    const pacer = createPacer(1000, 500);
    expect(pacer.due(499)).toBe(0);
    expect(pacer.due(500)).toBe(1);
    expect(pacer.due(500.999)).toBe(1);
    expect(pacer.due(501)).toBe(2);
    expect(pacer.due(1500)).toBe(1001);
    // A late wake-up is not carried forward: what is due depends only on the clock.
    expect(pacer.due(10_500)).toBe(10_001);
    expect(pacer.timeFor(1)).toBe(500);
    expect(pacer.timeFor(1001)).toBe(1500);
  });

  it('stays exact over long runs at fractional rates', () => {
    const pacer = createPacer(3, 0);
    expect(pacer.due(3_600_000)).toBe(3 * 3600 + 1);
    expect(pacer.due(pacer.timeFor(7))).toBe(7);
  });

  it('is unpaced at rate 0', () => {
    const pacer = createPacer(0, 0);
    expect(pacer.due(0)).toBe(Number.POSITIVE_INFINITY);
    expect(dueWithin(0, 1000)).toBe(Number.POSITIVE_INFINITY);
  });

  it('counts the events due within a duration', () => {
    expect(dueWithin(1000, 2000)).toBe(2000);
    expect(dueWithin(3, 1000)).toBe(3);
    expect(dueWithin(2.5, 1000)).toBe(3);
  });

  it('refuses a negative rate', () => {
    expect(() => createPacer(-1, 0)).toThrow(RangeError);
  });
});
