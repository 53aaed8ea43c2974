import { describe, expect, it } from 'vitest';
import { committedTopics, lagRows, totalEnd } from './lag.js';

const ends = new Map([
  [
    'transactions',
    [
      { partition: 0, high: '100', low: '0' },
      { partition: 1, high: '50', low: '20' },
    ],
  ],
]);

describe('consumer lag', () => {
  it('is the end minus the committed offset, per partition', () => {
    const rows = lagRows(
      'features',
      [
        {
          topic: 'transactions',
          // partition 1 not listed: the broker lists only committed partitions
          partitions: [{ partition: 0, offset: '90' }],
        },
        { topic: 'gone', partitions: [{ partition: 0, offset: '5' }] },
      ],
      ends,
    );
    expect(rows).toEqual([
      { group: 'features', topic: 'transactions', partition: 0, committed: 90, end: 100, lag: 10 },
      // nothing committed: from the log start
      { group: 'features', topic: 'transactions', partition: 1, committed: null, end: 50, lag: 30 },
    ]);
  });

  it('never goes negative (a commit seen after a newer end)', () => {
    const rows = lagRows('g', [{ topic: 'transactions', partitions: [{ partition: 0, offset: '120' }] }], ends);
    expect(rows[0]?.lag).toBe(0);
  });

  it('keeps the topics a group committed on and sums ends', () => {
    expect(
      committedTopics([
        { topic: 'a', partitions: [{ partition: 0, offset: '-1' }] },
        { topic: 'b', partitions: [{ partition: 0, offset: '3' }] },
      ]).map((t) => t.topic),
    ).toEqual(['b']);
    expect(totalEnd(ends.get('transactions') ?? [])).toBe(150);
  });
});
