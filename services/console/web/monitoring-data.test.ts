import { describe, expect, it } from 'vitest';
import type { Monitoring, SubjectFigures } from '../src/monitoring/shape.js';
import {
  driftData,
  featurePsiBars,
  metricTitle,
  performanceData,
  qualityData,
  timelineData,
} from './monitoring-data.js';

const day = Date.UTC(2026, 0, 10) / 1000;
const line = (name: string, times: number[], values: (number | null)[], breached = times.map(() => false)) => ({
  name,
  times,
  values,
  breached,
});

describe('the monitoring page’s charts', () => {
  it('puts timelines on one time axis, gaps where a line has no value, breaches kept per point', () => {
    const data = timelineData(
      [line('a', [day, day + 3_600], [1, 2], [false, true]), line('b', [day + 3_600], [5])],
      (l) => ({
        label: l.name,
        colour: '#000000',
      }),
    );
    expect(data.labels).toEqual(['01-10 00:00', '01-10 01:00']);
    expect(data.datasets.map((d) => d.data)).toEqual([
      [1, 2],
      [null, 5],
    ]);
    expect(data.breached).toEqual([
      [false, true],
      [false, false],
    ]);
  });

  it('charts PSI solid and KS dashed for a subject', () => {
    const data = driftData(
      {
        drift: {
          feature: 'f',
          lines: [line('f ks', [day], [0.1]), line('f psi', [day], [0.2]), line('score psi', [day], [0.9])],
        },
      },
      'f',
    );
    expect(data.datasets.map((d) => [d.label, d.data[0], d.borderDash ?? null])).toEqual([
      ['PSI', 0.2, null],
      ['KS', 0.1, [5, 4]],
    ]);
  });

  it('bars the features’ newest PSI, largest first, breached in red, the score left out', () => {
    const subject = (name: string, psi: number | null, breached = false) =>
      ({ subject: name, psi, driftBreached: breached }) as SubjectFigures;
    const bars = featurePsiBars([
      subject('score', 0.9, true),
      subject('a', 0.1),
      subject('b', 0.4, true),
      subject('c', null),
    ]);
    expect(bars.labels).toEqual(['b', 'a']);
    expect(bars.datasets[0]?.backgroundColor).toEqual(['#c62828', '#1565c0']);
  });

  it('draws one line per series for a metric, and the dead-letter share on its own axis', () => {
    const performance: Monitoring['performance'] = {
      metrics: ['roc_auc', 'average_precision'],
      lines: [
        { ...line('m@2 c', [day], [0.9]), series: 'm@2 c', metric: 'roc_auc' },
        { ...line('m@3 c', [day], [0.5]), series: 'm@3 c', metric: 'average_precision' },
      ],
    };
    expect(performanceData({ performance }, 'roc_auc').datasets.map((d) => d.label)).toEqual(['m@2 c']);
    const quality = qualityData({
      quality: [line('dead-letter share', [day], [0.01]), line('volume ratio m@2 c', [day], [1])],
    });
    expect(quality.datasets.map((d) => [d.label, d.yAxisID ?? null])).toEqual([
      ['dead-letter share (right)', 'share'],
      ['volume ratio m@2 c', null],
    ]);
  });

  it('titles the monitor’s metric names', () => {
    expect(['card_precision_at_100', 'roc_auc', 'average_precision', 'x'].map(metricTitle)).toEqual([
      'Card precision@100',
      'ROC AUC',
      'Average precision',
      'x',
    ]);
  });
});
