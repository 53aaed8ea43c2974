import { describe, expect, it } from 'vitest';
import { cpuPercent, parseProcStat, readUsage } from './usage.js';

describe('process usage', () => {
  it('parses /proc stat lines, command names with spaces and parentheses included', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 566 0 0 20 0 11 0 100 1000000 30000';
    const sample = parseProcStat(stat, '250000 30000 4000 1 0 60000 0', 5);
    expect(sample).toEqual({ ticks: 1800, rssBytes: 30000 * 4096, at: 5 });
  });

  it('turns two samples into percent of one core', () => {
    expect(cpuPercent({ ticks: 100, rssBytes: 0, at: 0 }, { ticks: 250, rssBytes: 0, at: 1000 })).toBe(150);
    expect(cpuPercent({ ticks: 100, rssBytes: 0, at: 0 }, { ticks: 100, rssBytes: 0, at: 0 })).toBe(0);
  });

  it('reads this process and nothing for a process that is gone', () => {
    const own = readUsage(process.pid);
    expect(own?.rssBytes).toBeGreaterThan(10_000_000);
    expect(readUsage(2 ** 22 + 1)).toBeNull();
  });
});
