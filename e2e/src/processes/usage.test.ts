import { describe, expect, it } from 'vitest';
import { cpuPercent, cpuWaitPercent, parseProcStat, parseSchedWaits, readUsage } from './usage.js';

describe('process usage', () => {
  it('parses /proc stat lines, command names with spaces and parentheses included', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 566 0 0 20 0 11 0 100 1000000 30000';
    const sample = parseProcStat(stat, '250000 30000 4000 1 0 60000 0', 5);
    expect(sample).toEqual({ ticks: 1800, rssBytes: 30000 * 4096, waitNs: null, at: 5 });
  });

  it('turns two samples into percent of one core', () => {
    const at = (ms: number, ticks: number) => ({ ticks, rssBytes: 0, waitNs: null, at: ms });
    expect(cpuPercent(at(0, 100), at(1000, 250))).toBe(150);
    expect(cpuPercent(at(0, 100), at(0, 100))).toBe(0);
  });

  it('turns the run-queue waits of two samples into percent of one core, thread by thread', () => {
    const at = (ms: number, waits: [string, number][] | null) => ({
      ticks: 0,
      rssBytes: 0,
      waitNs: waits && new Map(waits),
      at: ms,
    });
    // Thread 2 ended in the window (left out), thread 3 started in it (from zero).
    const from = at(0, [
      ['1', 1e9],
      ['2', 5e9],
    ]);
    const to = at(2000, [
      ['1', 2e9],
      ['3', 0.5e9],
    ]);
    expect(cpuWaitPercent(from, to)).toBe(75);
    expect(cpuWaitPercent(at(0, null), to)).toBeNull();
  });

  it('reads the run-queue wait of each thread, leaving out what does not parse', () => {
    const lines = new Map([
      ['7', '89233 163714 2\n'],
      ['8', '10 1000 1\n'],
      ['9', 'gone'],
    ]);
    expect(parseSchedWaits(lines)).toEqual(
      new Map([
        ['7', 163714],
        ['8', 1000],
      ]),
    );
    expect(parseSchedWaits(new Map())).toBeNull();
  });

  it('reads this process and nothing for a process that is gone', () => {
    const own = readUsage(process.pid);
    expect(own?.rssBytes).toBeGreaterThan(10_000_000);
    expect(own?.waitNs?.get(String(process.pid))).toBeGreaterThanOrEqual(0);
    expect(readUsage(2 ** 22 + 1)).toBeNull();
  });
});
