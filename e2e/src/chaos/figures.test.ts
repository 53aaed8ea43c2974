import { describe, expect, it } from 'vitest';
import { countEvents, type LatencySample, normalLatencyMs, recoverySeconds, totals } from './figures.js';

describe('countEvents', () => {
  it('tells decided once, decided twice (alike or not), dead-lettered and lost apart', () => {
    const decisions: Record<string, { count: number; differing: boolean }> = {
      a: { count: 1, differing: false },
      b: { count: 2, differing: false },
      c: { count: 3, differing: true },
    };
    const counts = countEvents(
      ['a', 'b', 'c', 'd', 'e'],
      (id) => decisions[id] ?? { count: 0, differing: false },
      new Set(['d']),
    );
    expect(counts).toEqual({
      published: 5,
      decidedOnce: 1,
      duplicates: 2,
      differingDuplicates: 1,
      deadLettered: 1,
      lost: 1,
    });
  });
});

describe('recovery', () => {
  const second = (atS: number, p99: number | null, count = 100): LatencySample => ({ atMs: atS * 1000, count, p99 });
  // normal at 40 ms; the service is killed at 10 s, restarted at 13 s; the backlog clears by 18 s
  const samples = [
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => second(s, 40)),
    second(11, null, 0),
    second(12, null, 0),
    second(13, null, 0),
    second(14, 4000),
    second(15, 3000),
    second(16, 2000),
    second(17, 900),
    second(18, 60),
    second(19, 45),
    second(20, 40),
  ];

  it('is normal at three times the p99 before the fault, at least 250 ms', () => {
    expect(normalLatencyMs(samples, 10_000)).toBe(250);
    expect(normalLatencyMs([second(1, 200), second(2, 100), second(3, 300)], 10_000)).toBe(600);
  });

  it('counts from the restart to the start of the first second after which every second is normal', () => {
    expect(recoverySeconds(samples, 13_000, 20_000, 250)).toBe(4);
    expect(recoverySeconds(samples, 13_000, 20_000, 1000)).toBe(3);
  });

  it('is null when the decisions never settle back, or stop while traffic flows', () => {
    expect(recoverySeconds([...samples, second(21, 5000)], 13_000, 21_000, 250)).toBeNull();
    expect(recoverySeconds([...samples, second(21, null, 0)], 13_000, 21_000, 250)).toBeNull();
    // seconds after the traffic ended do not count
    expect(recoverySeconds([...samples, second(21, null, 0)], 13_000, 20_000, 250)).toBe(4);
  });
});

describe('totals', () => {
  it('sums what ran and lists what was skipped or did not recover', () => {
    const events = { published: 10, decidedOnce: 9, duplicates: 1, differingDuplicates: 0, deadLettered: 0, lost: 0 };
    const t = totals([
      {
        fault: 'kill-features',
        events,
        recoveryS: 4.5,
        crashes: [],
        features: { vectors: 9, exact: 8, missing: 1, firstDifferingMs: 1200 },
      },
      {
        fault: 'bad-input',
        events,
        recoveryS: 0,
        crashes: ['features'],
        bad: { sent: 100, deadLettered: 100, byKind: {}, resent: 20, resentDecidedTwice: 0 },
      },
      {
        fault: 'kill-scorer',
        events: { ...events, lost: 2 },
        recoveryS: null,
        crashes: [],
        features: { vectors: 8, exact: 8, missing: 0, firstDifferingMs: null },
      },
      { fault: 'redis-restart', skipped: 'servers not started by this script' },
    ]);
    expect(t).toMatchObject({
      published: 30,
      lost: 2,
      duplicates: 3,
      bad_messages: 100,
      bad_dead_lettered: 100,
      input_crashes: 1,
      max_recovery_s: 4.5,
      not_recovered: ['kill-scorer'],
      skipped: ['redis-restart'],
      vectors: 17,
      vectors_exact: 16,
      vectors_missing: 1,
    });
  });
});
