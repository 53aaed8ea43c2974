import { describe, expect, it } from 'vitest';
import { nextRate, record, type SearchState } from './search.js';

/** Runs the search against a pipeline that sustains exactly `capacity` events/s. */
function search(capacity: number, start: SearchState, options = {}) {
  let state = start;
  const probes: number[] = [];
  for (let rate = nextRate(state, options); rate !== null; rate = nextRate(state, options)) {
    probes.push(rate);
    state = record(state, rate, rate <= capacity);
    if (probes.length > 50) throw new Error('search does not end');
  }
  return { state, probes };
}

describe('sustainable-rate search', () => {
  it('narrows the gap geometrically until within the tolerance', () => {
    expect(nextRate({ sustained: 5_000, failed: 10_000 })).toBe(7_071);
    const { state, probes } = search(7_600, { sustained: 5_000, failed: 10_000 });
    expect(state.sustained).toBeLessThanOrEqual(7_600);
    expect(state.failed).toBeGreaterThan(7_600);
    expect(state.failed / state.sustained).toBeLessThanOrEqual(1.1);
    expect(probes.length).toBeLessThanOrEqual(4);
  });

  it('climbs by doubling while nothing has failed, up to the ceiling', () => {
    const { state, probes } = search(30_000, { sustained: 10_000, failed: Number.POSITIVE_INFINITY });
    expect(probes.slice(0, 2)).toEqual([20_000, 40_000]);
    expect(state.sustained).toBeGreaterThan(27_000);
    expect(
      search(1e9, { sustained: 10_000, failed: Number.POSITIVE_INFINITY }, { ceiling: 50_000 }).state.sustained,
    ).toBe(50_000);
  });

  it('halves down when nothing was sustained, and stops at the floor', () => {
    const { state } = search(300, { sustained: 0, failed: 500 });
    expect(state.sustained).toBeGreaterThan(0);
    expect(state.sustained).toBeLessThanOrEqual(300);
    expect(search(10, { sustained: 0, failed: 500 }).state.sustained).toBe(0);
  });

  it('records the highest success and the lowest failure', () => {
    let s: SearchState = { sustained: 0, failed: Number.POSITIVE_INFINITY };
    s = record(s, 1_000, true);
    s = record(s, 4_000, false);
    s = record(s, 500, true);
    s = record(s, 8_000, false);
    expect(s).toEqual({ sustained: 1_000, failed: 4_000 });
  });
});
