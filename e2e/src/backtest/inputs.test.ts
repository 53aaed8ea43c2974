import { describe, expect, it } from 'vitest';
import { completeInputs, type ReplayedTransaction } from './inputs.js';

const DAY = 86_400_000;
const tx = (eventId: string, day: number, customerId = 'c1', secondsOnly = false): ReplayedTransaction => ({
  eventId,
  timeMs: day * DAY,
  customerId,
  secondsOnly,
});

describe('which events had all their inputs in the replay', () => {
  const coverage = { reachMs: 10 * DAY, historyStartMs: 0, customersBefore: new Set<string>() };

  it('counts events whose reach lies in the stored history, within the range only', () => {
    const replayed = [tx('w', 5), tx('a', 9, 'c2'), tx('b', 10, 'c3'), tx('c', 15, 'c4'), tx('z', 20)];
    expect([...completeInputs(replayed, coverage, 9 * DAY, 20 * DAY)]).toEqual(['b', 'c']);
  });

  it('leaves out events with a whole-second row in their reach, or themselves whole-second', () => {
    const replayed = [tx('old', 11, 'c1', true), tx('a', 20, 'c2'), tx('b', 22, 'c3'), tx('s', 25, 'c4', true)];
    expect([...completeInputs(replayed, coverage, 20 * DAY, 30 * DAY)]).toEqual(['b']);
  });

  it('leaves out a customer’s first replayed event when the customer had one before the warm-up', () => {
    const before = { ...coverage, customersBefore: new Set(['c1']) };
    const replayed = [tx('first', 12), tx('second', 13), tx('other', 13, 'c2')];
    expect([...completeInputs(replayed, before, 12 * DAY, 20 * DAY)]).toEqual(['second', 'other']);
  });
});
