import { describe, expect, it } from 'vitest';
import { binOf, binValue, LatencyWindow, quantile } from './latency-window.js';

describe('latency window', () => {
  it('bins values within 2 % of themselves', () => {
    for (const ms of [0.5, 1, 7.3, 42, 250, 1_234, 60_000]) {
      expect(Math.abs(binValue(binOf(ms)) - ms) / ms).toBeLessThan(0.021);
    }
    expect(binOf(0)).toBe(0);
    expect(binOf(-5)).toBe(0);
    expect(binOf(Number.NaN)).toBe(0);
  });

  it('gives p50 and p99 close to the exact ones', () => {
    const w = new LatencyWindow(60_000);
    // 1..1000 ms, once each: p50 500, p99 990
    for (let ms = 1; ms <= 1000; ms += 1) w.record(ms, 10_000 + ms);
    const s = w.summary(12_000);
    expect(s.count).toBe(1000);
    expect(Math.abs((s.p50 ?? 0) - 500) / 500).toBeLessThan(0.03);
    expect(Math.abs((s.p99 ?? 0) - 990) / 990).toBeLessThan(0.03);
  });

  it('forgets what left the window, and is empty without values', () => {
    const w = new LatencyWindow(10_000, 5_000);
    expect(w.summary(0)).toEqual({ count: 0, p50: null, p99: null });
    w.record(1_000, 1_000);
    w.record(10, 16_000);
    expect(w.summary(16_000).count).toBe(1);
    expect(Math.round(w.summary(16_000).p99 ?? 0)).toBe(10);
    expect(w.summary(60_000).count).toBe(0);
  });

  it('gives one point per slice', () => {
    const w = new LatencyWindow(60_000, 5_000);
    w.record(10, 1_000);
    w.record(20, 2_000);
    w.record(100, 7_000);
    const points = w.points(8_000);
    expect(points.map((p) => [p.at, p.count])).toEqual([
      [5_000, 2],
      [10_000, 1],
    ]);
    expect(Math.abs((points[1]?.p50 ?? 0) - 100)).toBeLessThan(2);
  });

  it('quantile of an empty histogram is null', () => {
    expect(quantile(new Uint32Array(10), 0.5)).toBeNull();
  });
});
