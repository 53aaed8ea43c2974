import { describe, expect, it } from 'vitest';
import { amount, clock, colourOf, count, eventTime, groupLag, ms, rate, reasons, score } from './format.js';

describe('page formatting', () => {
  it('formats rates, durations and counts, with a dash for nothing', () => {
    expect(rate(null)).toBe('–');
    expect(rate(12.345)).toBe('12.3');
    expect(rate(1234.4)).toBe('1,234');
    expect(ms(undefined)).toBe('–');
    expect(ms(Number.NaN)).toBe('–');
    expect(ms(4.26)).toBe('4.3 ms');
    expect(ms(149.6)).toBe('150 ms');
    expect(ms(12_345)).toBe('12.3 s');
    expect(count(1234567)).toBe('1,234,567');
    expect(count(null)).toBe('–');
    expect(score(0.81234)).toBe('0.812');
    expect(score(null)).toBe('–');
  });

  it('formats times in UTC and amounts in major units', () => {
    expect(clock(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('03:04:05');
    expect(eventTime(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000)).toBe('2026-01-02 03:04:05');
    expect(eventTime(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000, true)).toBe('01-02 03:04');
    expect(amount(125000, 'EUR')).toBe('1,250.00 EUR');
    expect(amount(null, 'EUR')).toBe('–');
  });

  it('groups lag per group and topic, partitions in order', () => {
    const groups = groupLag([
      { group: 'sink', topic: 'decisions', partition: 1, committed: 5, end: 9, lag: 4 },
      { group: 'features', topic: 'transactions', partition: 0, committed: 1, end: 1, lag: 0 },
      { group: 'sink', topic: 'decisions', partition: 0, committed: 5, end: 6, lag: 1 },
    ]);
    expect(groups).toEqual([
      { group: 'features', topic: 'transactions', total: 0, partitions: [{ partition: 0, lag: 0 }] },
      {
        group: 'sink',
        topic: 'decisions',
        total: 5,
        partitions: [
          { partition: 0, lag: 1 },
          { partition: 1, lag: 4 },
        ],
      },
    ]);
  });

  it('joins reasons and gives actions their own colours', () => {
    expect(reasons({ reasons: ['RULE:a', 'SCORE_BAND:high'] })).toBe('RULE:a, SCORE_BAND:high');
    expect(reasons({ reasons: [] })).toBe('–');
    expect(colourOf('DECLINE', 0)).toBe('#c62828');
    expect(colourOf('strict', 1)).toBe(colourOf('other', 1));
  });
});
