import { describe, expect, it } from 'vitest';
import { figureValue, interval, sequenceData, sideOfZero } from './experiments-data.js';

describe('the experiments page’s figures', () => {
  it('shows each metric in its unit', () => {
    expect(figureValue('fraud_caught_per_txn', 123.4)).toBe('1.234 €');
    expect(figureValue('decline_rate', 0.0123)).toBe('1.230 %');
    expect(figureValue('latency_ms', 12.34)).toBe('12.3 ms');
    expect(figureValue('something_else', 0.123456)).toBe('0.123');
    expect(figureValue('decline_rate', null)).toBe('–');
    expect(interval('latency_ms', [null, 2])).toBe('[−∞, 2.0 ms]');
    expect(interval('latency_ms', [null, null])).toBe('–');
  });

  it('says which side of zero the always-valid interval is on', () => {
    expect(sideOfZero({ cs: [0.1, 0.3] })).toBe('above');
    expect(sideOfZero({ cs: [null, -0.1] })).toBe('below');
    expect(sideOfZero({ cs: [-0.1, 0.1] })).toBe('spans');
  });

  it('draws the difference, its confidence sequence and zero over the looks', () => {
    const data = sequenceData({
      variant: 'strict',
      metric: 'decline_rate',
      kind: 'GUARDRAIL',
      times: [86_400, 172_800],
      difference: [0.01, 0.02],
      csLow: [null, 0.005],
      csHigh: [null, 0.03],
      breached: [false, true],
    });
    expect(data.labels).toEqual(['01-02 00:00', '01-03 00:00']);
    expect(data.datasets.map((d) => [d.label, d.data])).toEqual([
      ['difference', [0.01, 0.02]],
      ['always-valid low', [null, 0.005]],
      ['always-valid high', [null, 0.03]],
      ['zero', [0, 0]],
    ]);
  });
});
