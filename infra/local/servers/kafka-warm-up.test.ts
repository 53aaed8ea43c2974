import { describe, expect, it } from 'vitest';
import { stoppedGaining } from './kafka-warm-up.js';

describe('stoppedGaining', () => {
  it('waits for three windows, whatever they show', () => {
    expect(stoppedGaining([], 0.1)).toBe(false);
    expect(stoppedGaining([500, 500], 0.1)).toBe(false);
  });

  it('goes on while each window gains at least the minimum on the one before', () => {
    expect(stoppedGaining([532, 958, 1206], 0.1)).toBe(false);
    expect(stoppedGaining([532, 958, 1206, 1327], 0.1)).toBe(false);
  });

  it('stops once the last window gains less than the minimum, or falls', () => {
    expect(stoppedGaining([532, 958, 1206, 1560, 1556], 0.1)).toBe(true);
    expect(stoppedGaining([532, 958, 1206, 1326], 0.1)).toBe(true);
    expect(stoppedGaining([532, 958, 1206, 900], 0.1)).toBe(true);
  });
});
