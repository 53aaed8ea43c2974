import { describe, expect, it } from 'vitest';
import type { LiveSnapshot } from '../src/live/snapshot.js';
import { latencyData, mixData, throughputData } from './charts-data.js';

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const snapshot = {
  throughput: {
    series: [
      { at: t0, eventsIn: 10, decisionsOut: null },
      { at: t0 + 1000, eventsIn: 12, decisionsOut: 11 },
    ],
  },
  latency: {
    series: {
      features: [{ at: t0, count: 3, p50: 5, p99: 9 }],
      decision: [
        { at: t0, count: 3, p50: 20, p99: 40 },
        { at: t0 + 5000, count: 1, p50: 25, p99: 25 },
      ],
    },
  },
} as unknown as LiveSnapshot;

describe('chart data', () => {
  it('throughput: one label per sample, events in and decisions out', () => {
    const d = throughputData(snapshot);
    expect(d.labels).toEqual(['12:00:00', '12:00:01']);
    expect(d.datasets.map((s) => [s.label, s.data])).toEqual([
      ['events in', [10, 12]],
      ['decisions out', [null, 11]],
    ]);
  });

  it('latency: p99 and dashed p50 per hop over every slice, gaps where a hop has none', () => {
    const d = latencyData(snapshot);
    expect(d.labels).toEqual(['12:00:00', '12:00:05']);
    expect(d.datasets.map((s) => s.label)).toEqual(['features p99', 'features p50', 'decision p99', 'decision p50']);
    expect(d.datasets[0]?.data).toEqual([9, null]);
    expect(d.datasets[3]?.data).toEqual([20, 25]);
    expect(d.datasets[1]?.borderDash).toEqual([4, 3]);
    expect(d.datasets[0]?.borderDash).toBeUndefined();
  });

  it('mix: one stacked dataset per name, labels by time of day or by date for a week', () => {
    const times = [t0 / 1000, t0 / 1000 + 900];
    const breakdown = { names: ['APPROVE', 'DECLINE'], series: { APPROVE: [5, 6], DECLINE: [1, 0] } };
    const day = mixData(times, breakdown, 24);
    expect(day.labels).toEqual(['12:00', '12:15']);
    expect(day.datasets.map((s) => [s.label, s.data, s.backgroundColor])).toEqual([
      ['APPROVE', [5, 6], '#2e7d32'],
      ['DECLINE', [1, 0], '#c62828'],
    ]);
    expect(mixData(times, breakdown, 168).labels).toEqual(['01-01 12:00', '01-01 12:15']);
  });
});
