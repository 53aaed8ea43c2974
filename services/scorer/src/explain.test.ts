import { describe, expect, it } from 'vitest';
import { topContributions } from './explain.js';

describe('topContributions', () => {
  it('keeps the three largest positive score drops, largest first', () => {
    // score 0.9; substituting feature j gives these scores
    const substituted = [0.9, 0.2, 0.95, 0.5, 0.85, 0.1];
    const top = topContributions(0.9, substituted, 3);
    expect(top.map(([j]) => j)).toEqual([5, 1, 3]);
    expect(top[0]?.[1]).toBeCloseTo(0.8);
  });

  it('returns fewer when fewer features pushed the score up', () => {
    expect(topContributions(0.5, [0.6, 0.5, 0.4], 3)).toEqual([[2, expect.closeTo(0.1)]]);
    expect(topContributions(0.5, [], 3)).toEqual([]);
  });
});
