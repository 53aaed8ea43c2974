import { describe, expect, it } from 'vitest';
import { RateSeries, ratesOf } from './rates.js';

describe('rates of a counter', () => {
  it('gives per-second rates between samples', () => {
    expect(
      ratesOf([
        { at: 0, total: 100 },
        { at: 1000, total: 300 },
        { at: 3000, total: 400 },
      ]),
    ).toEqual([
      { at: 1000, perSecond: 200 },
      { at: 3000, perSecond: 50 },
    ]);
  });

  it('skips an interval whose total went down (restart) and one of no time', () => {
    expect(
      ratesOf([
        { at: 0, total: 100 },
        { at: 1000, total: 10 },
        { at: 1000, total: 20 },
        { at: 2000, total: 30 },
      ]),
    ).toEqual([{ at: 2000, perSecond: 10 }]);
  });

  it('keeps only the window', () => {
    const series = new RateSeries(2_000);
    expect(series.latest()).toBeNull();
    for (let t = 0; t <= 5_000; t += 1_000) series.add({ at: t, total: t / 10 });
    expect(series.points().map((p) => p.at)).toEqual([4_000, 5_000]);
    expect(series.latest()).toBe(100);
  });
});
