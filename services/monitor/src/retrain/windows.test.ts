import { describe, expect, it } from 'vitest';
import { retrainingWindows } from './windows.js';

const DAY = 86_400_000;

describe('retrainingWindows', () => {
  it('evaluates on the most recent labelled window and trains on the window before it', () => {
    const w = retrainingWindows(100 * DAY, { labelLagMs: 5 * DAY, evalWindowMs: 7 * DAY, trainWindowMs: 28 * DAY });
    expect(w).toEqual({
      cutoff: 100 * DAY,
      evalTo: 95 * DAY,
      evalFrom: 88 * DAY,
      trainTo: 88 * DAY,
      trainFrom: 60 * DAY,
    });
  });
});
