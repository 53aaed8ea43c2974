import { describe, expect, it } from 'vitest';
import { cpuPercent, cpuWaitPercent, parseProcStat, readUsage, sumSchedWait } from './usage.js';

describe('process usage', () => {
  it('parses /proc stat lines, command names with spaces and parentheses included', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 566 0 0 20 0 11 0 100 1000000 30000';
    const sample = parseProcStat(stat, '250000 30000 4000 1 0 60000 0', 5);
    expect(sample).toEqual({ ticks: 1800, rssBytes: 30000 * 4096, waitNs: null, at: 5 });
  });

  it('turns two samples into percent of one core', () => {
    const at = (ms: number, ticks: number, waitNs: number | null = null) => ({ ticks, rssBytes: 0, waitNs, at: ms });
    expect(cpuPercent(at(0, 100), at(1000, 250))).toBe(150);
    expect(cpuPercent(at(0, 100), at(0, 100))).toBe(0);
    expect(cpuWaitPercent(at(0, 0, 1e9), at(2000, 0, 2.5e9))).toBe(75);
    expect(cpuWaitPercent(at(0, 0, null), at(2000, 0, 2.5e9))).toBeNull();
  });

  it('sums the run-queue wait of every thread, leaving out what does not parse', () => {
    expect(sumSchedWait(['89233 163714 2\n', '10 1000 1\n', 'gone'])).toBe(164714);
    expect(sumSchedWait([])).toBeNull();
  });

  it('reads this process and nothing for a process that is gone', () => {
    const own = readUsage(process.pid);
    expect(own?.rssBytes).toBeGreaterThan(10_000_000);
    expect(own?.waitNs).toBeGreaterThanOrEqual(0);
    expect(readUsage(2 ** 22 + 1)).toBeNull();
  });
});
