import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system, in clock ticks) and resident memory of a process, from /proc. */
export interface UsageSample {
  ticks: number;
  rssBytes: number;
  /**
   * Per thread, the time it was runnable but waiting for a CPU, in ns (the second field of
   * /proc/<pid>/task/<tid>/schedstat); null where the kernel keeps no such figure.
   */
  waitNs: Map<string, number> | null;
  /** performance.now() when read. */
  at: number;
}

/** Linux's USER_HZ: 100 on every common build; /proc reports CPU times in it. */
const TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

/**
 * Parses /proc/<pid>/stat and /proc/<pid>/statm. The command name (field 2) may contain spaces and
 * parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(stat: string, statm: string, at: number): UsageSample {
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after[0] is field 3 (state); utime and stime are fields 14 and 15.
  const ticks = Number(after[11]) + Number(after[12]);
  const rssPages = Number(statm.split(' ')[1]);
  if (!Number.isFinite(ticks) || !Number.isFinite(rssPages))
    throw new Error(`unreadable /proc stat: ${stat.slice(0, 80)}`);
  return { ticks, rssBytes: rssPages * PAGE_SIZE, waitNs: null, at };
}

/** The run-queue wait (second field, ns) of each thread's schedstat line, by thread id; null if none is readable. */
export function parseSchedWaits(lines: ReadonlyMap<string, string>): Map<string, number> | null {
  const waits = new Map<string, number>();
  for (const [tid, line] of lines) {
    const wait = Number(line.trim().split(' ')[1]);
    if (Number.isFinite(wait)) waits.set(tid, wait);
  }
  return waits.size > 0 ? waits : null;
}

function readSchedWaits(pid: number): Map<string, number> | null {
  try {
    const lines = new Map<string, string>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        lines.set(tid, readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8'));
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return parseSchedWaits(lines);
  } catch {
    return null;
  }
}

export function readUsage(pid: number): UsageSample | null {
  try {
    const sample = parseProcStat(
      readFileSync(`/proc/${pid}/stat`, 'utf8'),
      readFileSync(`/proc/${pid}/statm`, 'utf8'),
      performance.now(),
    );
    return { ...sample, waitNs: readSchedWaits(pid) };
  } catch {
    return null;
  }
}

/**
 * Time waiting for a CPU between two samples, in percent of one core like `cpuPercent`: above the
 * CPU use itself, the process's threads queued for the cores longer than they ran. Threads that
 * ended within the window are not counted: a lower bound for processes that come and go by thread.
 */
export function cpuWaitPercent(from: UsageSample, to: UsageSample): number | null {
  const seconds = (to.at - from.at) / 1000;
  if (from.waitNs === null || to.waitNs === null || seconds <= 0) return null;
  // Thread by thread: one started in the window counts from zero; one that ended is left out.
  let waited = 0;
  for (const [tid, ns] of to.waitNs) waited += ns - (from.waitNs.get(tid) ?? 0);
  return (100 * waited) / 1e9 / seconds;
}

/** CPU use between two samples, in percent of one core (200 = both cores of this machine). */
export function cpuPercent(from: UsageSample, to: UsageSample): number {
  const seconds = (to.at - from.at) / 1000;
  return seconds <= 0 ? 0 : (100 * (to.ticks - from.ticks)) / TICKS_PER_SECOND / seconds;
}

/** The local servers' processes, found by their command lines (whoever started them). */
export function findServerPids(): Record<string, number> {
  const patterns: [string, RegExp][] = [
    ['kafka', /kafka\.Kafka/],
    ['schema-registry', /quarkus-run\.jar|schema-registry/],
    ['redis', /redis-server/],
    ['clickhouse', /clickhouse(-server| server)/],
  ];
  const found: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    for (const [name, pattern] of patterns) {
      if (found[name] === undefined && pattern.test(cmdline)) found[name] = Number(entry);
    }
  }
  return found;
}

export interface ProcessUsage {
  name: string;
  cpuPercent: number;
  /** Runnable but waiting for a CPU, percent of one core (null: not measured on this kernel). */
  cpuWaitPercent: number | null;
  rssMb: number;
}

/** Samples named processes at the start of a window and reports their use at its end. */
export function startUsageWindow(pids: Record<string, number>): { end(): ProcessUsage[] } {
  const start = new Map(Object.entries(pids).map(([name, pid]) => [name, readUsage(pid)]));
  return {
    end: () =>
      Object.entries(pids).flatMap(([name, pid]) => {
        const from = start.get(name);
        const to = readUsage(pid);
        if (!from || !to) return [];
        const usage = { cpuPercent: cpuPercent(from, to), cpuWaitPercent: cpuWaitPercent(from, to) };
        return [{ name, ...usage, rssMb: to.rssBytes / 1_048_576 }];
      }),
  };
}

/** "features 40 %, scorer 25 %": each measured process's wait for a CPU. */
export function formatCpuWait(usage: readonly ProcessUsage[]): string {
  return usage
    .filter((u) => u.cpuWaitPercent !== null)
    .map((u) => `${u.name} ${Math.round(u.cpuWaitPercent as number)} %`)
    .join(', ');
}
