import { describe, expect, it } from 'vitest';
import {
  advanceWatermark,
  decodeWatermark,
  encodeWatermark,
  NO_WATERMARK,
  WATERMARK_RANK,
  type Watermark,
  watermarkTime,
} from './watermark.js';

const MIN = 60_000;
const after = (times: number[], from: Watermark = NO_WATERMARK) => times.reduce(advanceWatermark, from);
const steady = Array.from({ length: 40 }, (_, i) => i * MIN);

describe('the watermark', () => {
  it('is the WATERMARK_RANK-th latest distinct time, and none before there are that many', () => {
    expect(watermarkTime(after(steady.slice(0, WATERMARK_RANK - 1)))).toBe(Number.NEGATIVE_INFINITY);
    expect(watermarkTime(after(steady.slice(0, WATERMARK_RANK)))).toBe(0);
    expect(watermarkTime(after(steady))).toBe((40 - WATERMARK_RANK) * MIN);
    // repeated times (a redelivery, a burst in one millisecond) count once; order does not matter
    expect(after([...steady, ...steady.slice(30)])).toEqual(after(steady));
    expect(after([...steady].reverse())).toEqual(after(steady));
  });

  it('does not move for a dozen outliers each 55 minutes after the previous', () => {
    const base = after(steady);
    const outliers = Array.from({ length: 12 }, (_, i) => 39 * MIN + (i + 1) * 55 * MIN);
    // they push out older times, but it stays among the real traffic's times
    expect(watermarkTime(after(outliers, base))).toBe((40 - (WATERMARK_RANK - 12)) * MIN);
    expect(watermarkTime(after([...outliers, 40 * MIN, 41 * MIN], base))).toBe(38 * MIN);
  });

  it('follows a real jump once WATERMARK_RANK times agree', () => {
    const jump = Array.from({ length: WATERMARK_RANK }, (_, i) => 10_000 * MIN + i);
    expect(watermarkTime(after(jump, after(steady)))).toBe(10_000 * MIN);
  });

  it('never goes back', () => {
    let w = NO_WATERMARK;
    let last = Number.NEGATIVE_INFINITY;
    for (const t of [...steady, 3, 5 * MIN, 100 * MIN, 7].concat(steady)) {
      w = advanceWatermark(w, t);
      expect(watermarkTime(w)).toBeGreaterThanOrEqual(last);
      last = watermarkTime(w);
    }
  });

  it('round-trips through its text, and refuses text that is not one', () => {
    const w = after(steady);
    expect(decodeWatermark(encodeWatermark(w))).toEqual(w);
    expect(decodeWatermark(encodeWatermark(NO_WATERMARK))).toEqual([]);
    expect(() => decodeWatermark('12,abc')).toThrow(/not a watermark/);
  });
});
