// Chart.js datasets from the API's plain data: pure, unit-tested beside.
import type { Breakdown } from '../src/decisions/shape.js';
import type { LiveSnapshot } from '../src/live/snapshot.js';
import { clock, colourOf, eventTime } from './format.js';

export interface LineData {
  labels: string[];
  datasets: {
    label: string;
    data: (number | null)[];
    borderColor: string;
    backgroundColor: string;
    borderDash?: number[];
    /** A second axis of the chart's (the monitoring page's shares). */
    yAxisID?: string;
  }[];
}

/** Events in and decisions out per second over the live window. */
export function throughputData(snapshot: LiveSnapshot): LineData {
  const series = snapshot.throughput.series;
  return {
    labels: series.map((p) => clock(p.at)),
    datasets: [
      {
        label: 'events in',
        data: series.map((p) => p.eventsIn),
        borderColor: colourOf('events in', 0),
        backgroundColor: colourOf('events in', 0),
      },
      {
        label: 'decisions out',
        data: series.map((p) => p.decisionsOut),
        borderColor: colourOf('decisions out', 1),
        backgroundColor: colourOf('decisions out', 1),
        // dashed: at steady state it runs on top of events in
        borderDash: [6, 4],
      },
    ],
  };
}

/**
 * p50 (dashed) and p99 of each hop per time slice. Hops may lack a slice another has: every slice
 * of any hop is a label, a hop without values there has a gap.
 */
export function latencyData(snapshot: LiveSnapshot): LineData {
  const hops = Object.keys(snapshot.latency.series);
  const times = [...new Set(hops.flatMap((h) => (snapshot.latency.series[h] ?? []).map((p) => p.at)))].sort(
    (a, b) => a - b,
  );
  const datasets: LineData['datasets'] = [];
  hops.forEach((hop, i) => {
    const byTime = new Map((snapshot.latency.series[hop] ?? []).map((p) => [p.at, p] as const));
    const colour = colourOf(hop, i);
    datasets.push({
      label: `${hop} p99`,
      data: times.map((t) => byTime.get(t)?.p99 ?? null),
      borderColor: colour,
      backgroundColor: colour,
    });
    datasets.push({
      label: `${hop} p50`,
      data: times.map((t) => byTime.get(t)?.p50 ?? null),
      borderColor: colour,
      backgroundColor: colour,
      borderDash: [4, 3],
    });
  });
  return { labels: times.map(clock), datasets };
}

export interface BarData {
  labels: string[];
  datasets: { label: string; data: (number | null)[]; backgroundColor: string | string[] }[];
}

/** One stacked bar per time bucket, one dataset per value of the breakdown. */
export function mixData(times: readonly number[], breakdown: Breakdown, spanHours: number): BarData {
  return {
    labels: times.map((t) => (spanHours > 24 ? eventTime(t, true) : eventTime(t).slice(11, 16))),
    datasets: breakdown.names.map((name, i) => ({
      label: name,
      data: breakdown.series[name] ?? [],
      backgroundColor: colourOf(name, i),
    })),
  };
}
