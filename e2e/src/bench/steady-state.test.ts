import { describe, expect, it } from 'vitest';
import { judgeStep, type LagSample, slope } from './steady-state.js';

function samples(seconds: number, rate: number, deliveredRate: number, delay = 0): LagSample[] {
  return Array.from({ length: seconds }, (_, i) => {
    const t = i + 1;
    return { t, published: rate * t, delivered: Math.max(0, deliveredRate * (t - delay)) };
  });
}

describe('slope', () => {
  it('is the least-squares slope', () => {
    expect(slope([1, 2, 3, 4], [3, 5, 7, 9])).toBeCloseTo(2);
    expect(slope([1, 2, 3], [5, 5, 5])).toBe(0);
    expect(slope([1], [5])).toBe(0);
  });
});

describe('judgeStep', () => {
  it('a pipeline keeping up with a constant delay is sustained', () => {
    const j = judgeStep(samples(30, 1000, 1000, 0.2), 1000);
    expect(j).toMatchObject({ sustained: true, reason: null, finalBacklog: 200 });
    expect(j.backlogSlope).toBeCloseTo(0);
    expect(j.publishedRate).toBe(1000);
  });

  it('a backlog that keeps growing is not', () => {
    const j = judgeStep(samples(30, 10_000, 8_000), 10_000);
    expect(j.sustained).toBe(false);
    expect(j.backlogSlope).toBeCloseTo(2_000);
    expect(j.reason).toBe('backlog grew 2000/s');
  });

  it('a publisher that cannot reach the rate is not', () => {
    const j = judgeStep(samples(30, 9_000, 9_000), 10_000);
    expect(j.reason).toBe('publisher reached 9000/s of 10000/s');
  });

  it('a flat but large backlog is not', () => {
    const s = samples(30, 1000, 1000, 5);
    const j = judgeStep(s, 1000);
    expect(j.backlogSlope).toBeCloseTo(0);
    expect(j.reason).toBe('backlog 5000 at the end (5.0 s of traffic)');
  });

  it("takes the publisher's own rate when given", () => {
    const j = judgeStep(samples(30, 950, 950), 1000, { publishedRate: 999 });
    expect(j).toMatchObject({ sustained: true, publishedRate: 999 });
  });

  it('needs a few samples', () => {
    expect(judgeStep(samples(2, 1000, 1000), 1000).reason).toBe('too few samples');
  });
});
