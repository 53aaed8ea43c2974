import { describe, expect, it } from 'vitest';
import { dueWindowEnds, wallClockDue } from './schedule.js';

const H = 3_600_000;

describe('dueWindowEnds (event time)', () => {
  it('starts at the first interval boundary after `first` and stops at the horizon', () => {
    expect(dueWindowEnds({ lastDone: undefined, first: 2.5 * H, horizon: 5.2 * H, intervalMs: H })).toEqual([
      3 * H,
      4 * H,
      5 * H,
    ]);
  });

  it('resumes after the last window run, and returns nothing until the next boundary passes', () => {
    expect(dueWindowEnds({ lastDone: 5 * H, first: 0, horizon: 5.9 * H, intervalMs: H })).toEqual([]);
    expect(dueWindowEnds({ lastDone: 5 * H, first: 0, horizon: 7 * H, intervalMs: H })).toEqual([6 * H, 7 * H]);
  });

  it('catches up a long replay in bounded steps', () => {
    expect(dueWindowEnds({ lastDone: undefined, first: 0, horizon: 1e4 * H, intervalMs: H, limit: 10 })).toHaveLength(
      10,
    );
  });
});

describe('wallClockDue', () => {
  it('runs the latest boundary once', () => {
    expect(wallClockDue(undefined, 5.5 * H, H)).toEqual([5 * H]);
    expect(wallClockDue(5 * H, 5.9 * H, H)).toEqual([]);
    expect(wallClockDue(2 * H, 5.1 * H, H)).toEqual([5 * H]);
  });
});
