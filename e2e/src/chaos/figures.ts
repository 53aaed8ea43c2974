import type { BadKind } from './bad-messages.js';
import type { WindowFeatures } from './features-check.js';
import type { Fault } from './options.js';

/** What happened to the transactions of one fault's window. */
export interface EventCounts {
  published: number;
  /** Exactly one decision. */
  decidedOnce: number;
  /** More than one decision. */
  duplicates: number;
  /** More than one decision, and they differ. */
  differingDuplicates: number;
  /** No decision, dead-lettered with a reason. */
  deadLettered: number;
  /** Neither decided nor dead-lettered. */
  lost: number;
}

/** Counts the window's transactions by what became of them. */
export function countEvents(
  ids: readonly string[],
  decisionsOf: (id: string) => { count: number; differing: boolean },
  deadLettered: ReadonlySet<string>,
): EventCounts {
  const counts: EventCounts = {
    published: ids.length,
    decidedOnce: 0,
    duplicates: 0,
    differingDuplicates: 0,
    deadLettered: 0,
    lost: 0,
  };
  for (const id of ids) {
    const { count, differing } = decisionsOf(id);
    if (count === 1) counts.decidedOnce++;
    else if (count > 1) {
      counts.duplicates++;
      if (differing) counts.differingDuplicates++;
    } else if (deadLettered.has(id)) counts.deadLettered++;
    else counts.lost++;
  }
  return counts;
}

/** Decisions in one second of the window: how many, and their p99 (publish → decision read). */
export interface LatencySample {
  /** Ms since the window began, at the end of the second. */
  atMs: number;
  count: number;
  p99: number | null;
}

/**
 * Seconds from `fromMs` (the restart, or the fault's end) until decisions are back to normal and stay
 * so while traffic flows (up to `untilMs`): every later second has decisions with a p99 within
 * `thresholdMs`. Null if that never happens before the traffic ends.
 */
export function recoverySeconds(
  samples: readonly LatencySample[],
  fromMs: number,
  untilMs: number,
  thresholdMs: number,
): number | null {
  const after = samples.filter((s) => s.atMs > fromMs && s.atMs <= untilMs);
  let recoveredAt: number | null = null;
  for (const s of after) {
    const normal = s.count > 0 && s.p99 !== null && s.p99 <= thresholdMs;
    if (!normal) recoveredAt = null;
    else recoveredAt ??= s.atMs - 1000;
  }
  if (recoveredAt === null) return null;
  return Math.max(0, recoveredAt - fromMs) / 1000;
}

/** Normal latency for a window: three times its p99 before the fault, at least 250 ms. */
export function normalLatencyMs(samples: readonly LatencySample[], faultAtMs: number): number {
  const before = samples.filter((s) => s.atMs <= faultAtMs && s.p99 !== null).map((s) => s.p99 as number);
  before.sort((a, b) => a - b);
  const median = before[Math.floor(before.length / 2)];
  return Math.max(250, 3 * (median ?? 0));
}

export interface BadFigures {
  sent: number;
  deadLettered: number;
  byKind: Partial<Record<BadKind, { sent: number; deadLettered: number }>>;
  /** Valid transactions sent a second time: each must still be decided once. */
  resent: number;
  resentDecidedTwice: number;
}

/** One fault's row of the report. */
export interface FaultFigures {
  fault: Fault;
  /** Why it did not run (a server fault on servers this script did not start). */
  skipped?: string;
  events?: EventCounts;
  bad?: BadFigures;
  /** Dead letters written during the window, by `<service> <error type>`. */
  deadLetters?: Record<string, number>;
  /** Seconds until decisions were back to normal latency after the restart (null: not within the run). */
  recoveryS?: number | null;
  /** How long the restarted service took to be ready again. */
  readyS?: number;
  /** Service processes that exited without being killed by the script. */
  crashes?: string[];
  normalLatencyMs?: number;
  /** When the fault began, ms into the window. */
  faultAtMs?: number;
  /** The window's logged vectors against a run without faults (features-check.ts). */
  features?: WindowFeatures;
}

/** The totals the last JSON line carries. */
export function totals(rows: readonly FaultFigures[]) {
  const ran = rows.filter((r) => !r.skipped);
  const sum = (f: (r: FaultFigures) => number) => ran.reduce((a, r) => a + f(r), 0);
  const recoveries = ran.map((r) => r.recoveryS).filter((x): x is number => typeof x === 'number');
  return {
    published: sum((r) => r.events?.published ?? 0),
    lost: sum((r) => r.events?.lost ?? 0),
    duplicates: sum((r) => (r.events?.duplicates ?? 0) + (r.bad?.resentDecidedTwice ?? 0)),
    differing_duplicates: sum((r) => r.events?.differingDuplicates ?? 0),
    bad_messages: sum((r) => r.bad?.sent ?? 0),
    bad_dead_lettered: sum((r) => r.bad?.deadLettered ?? 0),
    input_crashes: ran.filter((r) => r.bad).reduce((a, r) => a + (r.crashes?.length ?? 0), 0),
    crashes: sum((r) => r.crashes?.length ?? 0),
    not_recovered: ran.filter((r) => r.recoveryS === null).map((r) => r.fault),
    max_recovery_s: recoveries.length > 0 ? Math.max(...recoveries) : null,
    vectors: sum((r) => r.features?.vectors ?? 0),
    vectors_exact: sum((r) => r.features?.exact ?? 0),
    vectors_missing: sum((r) => r.features?.missing ?? 0),
    skipped: rows.filter((r) => r.skipped).map((r) => r.fault),
  };
}
