import { describe, expect, it } from 'vitest';
import { mergeRates } from './snapshot.js';

describe('live snapshot', () => {
  it('puts the two rate series side by side by time', () => {
    expect(
      mergeRates(
        [
          { at: 2, perSecond: 10 },
          { at: 1, perSecond: 5 },
        ],
        [{ at: 2, perSecond: 9 }],
      ),
    ).toEqual([
      { at: 1, eventsIn: 5, decisionsOut: null },
      { at: 2, eventsIn: 10, decisionsOut: 9 },
    ]);
  });
});
