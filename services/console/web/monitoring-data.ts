// The monitoring page's charts from /api/monitoring: pure, unit-tested beside.
import type { Monitoring, SubjectFigures, Timeline } from '../src/monitoring/shape.js';
import type { BarData, LineData } from './charts-data.js';
import { colourOf, eventTime } from './format.js';

const BREACHED = '#c62828';

/**
 * Timelines on one time axis (every time any of them has; a line without a value there has a gap),
 * labelled `MM-DD HH:MM` of the window end. `style` names and dashes each line.
 */
export function timelineData(
  lines: readonly Timeline[],
  style: (line: Timeline, index: number) => { label: string; colour: string; dashed?: boolean; axis?: string },
): LineData & { breached: boolean[][] } {
  const times = [...new Set(lines.flatMap((l) => l.times))].sort((a, b) => a - b);
  const datasets: LineData['datasets'] = [];
  const breached: boolean[][] = [];
  lines.forEach((line, i) => {
    const at = new Map(line.times.map((t, j) => [t, j] as const));
    const s = style(line, i);
    datasets.push({
      label: s.label,
      data: times.map((t) => {
        const j = at.get(t);
        return j === undefined ? null : (line.values[j] ?? null);
      }),
      borderColor: s.colour,
      backgroundColor: s.colour,
      ...(s.dashed ? { borderDash: [5, 4] } : {}),
      ...(s.axis ? { yAxisID: s.axis } : {}),
    });
    breached.push(
      times.map((t) => {
        const j = at.get(t);
        return j === undefined ? false : (line.breached[j] ?? false);
      }),
    );
  });
  return { labels: times.map((t) => eventTime(t, true)), datasets, breached };
}

/** PSI (solid) and KS (dashed) of one subject: `<subject> psi`, `<subject> ks` lines. */
export function driftData(m: Pick<Monitoring, 'drift'>, subject: string): ReturnType<typeof timelineData> {
  const lines = ['psi', 'ks']
    .map((metric) => m.drift.lines.find((l) => l.name === `${subject} ${metric}`))
    .filter((l): l is Timeline => l !== undefined);
  return timelineData(lines, (l) => {
    const ks = l.name.endsWith(' ks');
    return { label: ks ? 'KS' : 'PSI', colour: ks ? '#00897b' : '#1565c0', dashed: ks };
  });
}

/** The features' newest PSI, largest first (the score left out: it has its own chart), breached in red. */
export function featurePsiBars(subjects: readonly SubjectFigures[], top = 35): BarData {
  const features = subjects
    .filter((s) => s.subject !== 'score' && s.psi !== null)
    .sort((a, b) => (b.psi ?? 0) - (a.psi ?? 0))
    .slice(0, top);
  return {
    labels: features.map((s) => s.subject),
    datasets: [
      {
        label: 'PSI',
        data: features.map((s) => s.psi ?? 0),
        backgroundColor: features.map((s) => (s.driftBreached ? BREACHED : '#1565c0')),
      },
    ],
  };
}

/** One performance metric over time, one line per model version and variant. */
export function performanceData(m: Pick<Monitoring, 'performance'>, metric: string): ReturnType<typeof timelineData> {
  const lines = m.performance.lines.filter((l) => l.metric === metric);
  const series = [...new Set(m.performance.lines.map((l) => l.series))].sort();
  return timelineData(lines, (l) => ({ label: l.name, colour: colourOf(l.name, series.indexOf(l.name)) }));
}

/** The volume ratio per series and the dead-letter share (dashed, red, on the `share` axis at the right). */
export function qualityData(m: Pick<Monitoring, 'quality'>): ReturnType<typeof timelineData> {
  return timelineData(m.quality, (l, i) =>
    l.name === 'dead-letter share'
      ? { label: `${l.name} (right)`, colour: '#c62828', dashed: true, axis: 'share' }
      : { label: l.name, colour: colourOf(l.name, i + 1) },
  );
}

/** `card_precision_at_100` → `Card precision@100`; other metric names as the monitor writes them. */
export function metricTitle(metric: string): string {
  const card = /^card_precision_at_(\d+)$/.exec(metric);
  if (card) return `Card precision@${card[1]}`;
  return metric === 'roc_auc' ? 'ROC AUC' : metric === 'average_precision' ? 'Average precision' : metric;
}
