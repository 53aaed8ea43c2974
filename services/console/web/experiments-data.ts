// The experiments page's charts and figures from /api/experiments: pure, unit-tested beside.
import type { Figure, FigureTimeline } from '../src/experiments/shape.js';
import type { LineData } from './charts-data.js';
import { eventTime } from './format.js';

const UNITS: Record<string, (x: number) => string> = {
  fraud_caught_per_txn: (x) => `${(x / 100).toFixed(3)} €`,
  fraud_money_recall: (x) => `${(x * 100).toFixed(2)} %`,
  decline_rate: (x) => `${(x * 100).toFixed(3)} %`,
  review_rate: (x) => `${(x * 100).toFixed(3)} %`,
  latency_ms: (x) => `${x.toFixed(1)} ms`,
  fp_per_1000_genuine: (x) => x.toFixed(2),
};

/** A metric's value in its unit (minor units shown in euros, rates in percent); – when unknown. */
export function figureValue(metric: string, x: number | null): string {
  if (x === null) return '–';
  return (UNITS[metric] ?? ((v: number) => v.toPrecision(3)))(x);
}

/** `[low, high]` in the metric's unit; an open end shows as ∞. */
export function interval(metric: string, [low, high]: [number | null, number | null]): string {
  if (low === null && high === null) return '–';
  return `[${low === null ? '−∞' : figureValue(metric, low)}, ${high === null ? '∞' : figureValue(metric, high)}]`;
}

/** Whether the always-valid interval excludes zero, and on which side. */
export function sideOfZero(f: Pick<Figure, 'cs'>): 'above' | 'below' | 'spans' {
  const [low, high] = f.cs;
  if (low !== null && low > 0) return 'above';
  if (high !== null && high < 0) return 'below';
  return 'spans';
}

/**
 * The difference (challenger − control) over the looks with its always-valid confidence sequence
 * as two dashed bounds, and zero: where the sequence leaves zero, the test has decided.
 */
export function sequenceData(t: FigureTimeline): LineData {
  return {
    labels: t.times.map((s) => eventTime(s, true)),
    datasets: [
      { label: 'difference', data: t.difference, borderColor: '#1565c0', backgroundColor: '#1565c0' },
      {
        label: 'always-valid low',
        data: t.csLow,
        borderColor: '#90a4ae',
        backgroundColor: '#90a4ae',
        borderDash: [5, 4],
      },
      {
        label: 'always-valid high',
        data: t.csHigh,
        borderColor: '#90a4ae',
        backgroundColor: '#90a4ae',
        borderDash: [5, 4],
      },
      {
        label: 'zero',
        data: t.times.map(() => 0),
        borderColor: '#455a64',
        backgroundColor: '#455a64',
        borderDash: [2, 2],
      },
    ],
  };
}
