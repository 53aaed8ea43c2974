import { describe, expect, it } from 'vitest';
import { stoppedGaining } from './kafka-warm-up.js';

describe('stoppedGaining', () => {
  it('waits for four windows, whatever they show', () => {
    expect(stoppedGaining([], 0.1)).toBe(false);
    expect(stoppedGaining([500, 500, 500], 0.1)).toBe(false);
  });

  it('goes on while either of the last two windows gains the minimum on the best before them', () => {
    expect(stoppedGaining([532, 958, 1206, 1560, 1556], 0.1)).toBe(false);
    // One noisy window does not end it (a run measured: 432, 846, 931, then on up to 1,500).
    expect(stoppedGaining([432, 846, 931, 1100], 0.1)).toBe(false);
    expect(stoppedGaining([432, 846, 800, 1100], 0.1)).toBe(false);
  });

  it('stops once two windows in a row gain less than the minimum on the best before them', () => {
    expect(stoppedGaining([532, 958, 1206, 1560, 1556, 1500], 0.1)).toBe(true);
    expect(stoppedGaining([532, 958, 1206, 1300, 1250], 0.1)).toBe(true);
    expect(stoppedGaining([532, 958, 1206, 900, 1000], 0.1)).toBe(true);
  });
});
