import type { DeadLetterCount } from './dead-letters.js';
import type { LagRow } from './lag.js';
import type { LatencyPoint, LatencySummary } from './latency-window.js';
import type { RatePoint } from './rates.js';
import type { RequestFigures } from './requests.js';
import type { ServiceReading } from './services-watch.js';

/** What the live page shows, pushed to every browser at each sample. Plain data: JSON as is. */
export interface LiveSnapshot {
  at: number;
  windowMs: number;
  throughput: {
    /** Transactions appended to the transactions topic per second (last interval). */
    eventsIn: number | null;
    /** Decisions appended to the decisions topic per second (last interval). */
    decisionsOut: number | null;
    series: { at: number; eventsIn: number | null; decisionsOut: number | null }[];
  };
  latency: {
    hops: (LatencySummary & { hop: string; topic: string })[];
    series: Record<string, LatencyPoint[]>;
    error: string | null;
  };
  lag: { rows: LagRow[]; total: number };
  deadLetters: { rows: DeadLetterCount[]; error: string | null };
  services: (Omit<ServiceReading, 'counters'> & {
    consumedPerSecond: number | null;
    deadLettered: number | null;
    /** A service serving requests (the decision API): its figures over the last REQUEST_SPAN_MS. */
    requests: RequestFigures | null;
  })[];
  kafkaErrors: string[];
}

/** The two rate series side by side, one point per sample time either has. */
export function mergeRates(
  eventsIn: readonly RatePoint[],
  decisionsOut: readonly RatePoint[],
): LiveSnapshot['throughput']['series'] {
  const byTime = new Map<number, { at: number; eventsIn: number | null; decisionsOut: number | null }>();
  const point = (at: number) => {
    let p = byTime.get(at);
    if (!p) {
      p = { at, eventsIn: null, decisionsOut: null };
      byTime.set(at, p);
    }
    return p;
  };
  for (const r of eventsIn) point(r.at).eventsIn = r.perSecond;
  for (const r of decisionsOut) point(r.at).decisionsOut = r.perSecond;
  return [...byTime.values()].sort((a, b) => a.at - b.at);
}
