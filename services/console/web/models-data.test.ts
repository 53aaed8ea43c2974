import { describe, expect, it } from 'vitest';
import type { ModelTraffic } from '../src/models/shape.js';
import { distributionData, fixed3, modelColour, modelLabel, share, trafficRole } from './models-data.js';

const model = (name: string, deciding: number, alias: string | null, distribution: number[]): ModelTraffic => ({
  model: name,
  alias,
  scored: 10,
  deciding,
  distribution,
  flagged: 0,
  performance: null,
});

describe('the models page’s data', () => {
  it('names each model by its part in the range and its alias now', () => {
    expect(modelLabel(model('m@2', 5, 'archived', []))).toBe('m@2 (deciding; now archived)');
    expect(modelLabel(model('m@3', 0, null, []))).toBe('m@3 (shadow)');
    expect(trafficRole({ deciding: 0 })).toBe('shadow');
  });

  it('draws one bar series per model, empty bins as gaps, the deciding one in blue', () => {
    const data = distributionData({
      models: [model('m@2', 5, 'champion', [0.5, 0, 0.5, 0]), model('m@3', 0, 'shadow', [1, 0, 0, 0])],
    });
    expect(data.labels).toEqual(['0.00', '0.25', '0.50', '0.75']);
    expect(data.datasets.map((d) => d.data)).toEqual([
      [0.5, null, 0.5, null],
      [1, null, null, null],
    ]);
    expect(data.datasets.map((d) => d.backgroundColor)).toEqual(['#1565c0', '#8e24aa']);
    expect(modelColour({ deciding: 0 }, 1)).toBe('#ef6c00');
  });

  it('formats figures', () => {
    expect([fixed3(0.81234), fixed3(null), share(0.25), share(undefined)]).toEqual(['0.812', '–', '25.0 %', '–']);
  });
});
