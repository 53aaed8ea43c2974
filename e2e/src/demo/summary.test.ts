import { describe, expect, it } from 'vitest';
import { type DemoSummary, formatSummary } from './summary.js';

const summary: DemoSummary = {
  run: 'demo-x',
  published: { transactions: 9_000, labels: 400, seconds: 45.02, rate: 208.8 },
  decisions: {
    received: 9_000,
    events: 9_000,
    duplicates: 0,
    differingDuplicates: 0,
    byAction: { APPROVE: 8_700, DECLINE: 200, REVIEW: 100 },
    byPath: { MODEL_AND_RULES: 8_990, RULES_ONLY: 10 },
    steadyByPath: { RULES_ONLY: 2, MODEL_AND_RULES: 7_998 },
    latencyMs: { count: 9_000, p50: 12.3, p95: 20, p99: 31.25, max: 80, mean: 13 },
    steadyLatencyMs: { count: 8_000, p50: 11, p95: 18, p99: 24.5, max: 40, mean: 12 },
  },
  undecided: 0,
  deadLetters: { total: 4, byReason: { 'features LateEventError': { count: 4, example: 'event 9 min late' } } },
  outcome: { frauds: 150, caught: 120, savedMinor: 1_234_567, lostMinor: 50_000, genuine: 100, genuineFlagged: 2 },
  rows: { decisions: 9_000 },
  monitor: ['drift: no feature drifted'],
  featureSample: null,
  services: [
    { name: 'features', clean: true, code: 0, signal: null },
    { name: 'scorer', clean: false, code: 1, signal: null },
  ],
  where: ['curl ...'],
};

describe('formatSummary', () => {
  const text = formatSummary(summary);

  it('reports volumes, mix and latency', () => {
    expect(text).toContain('9,000 transactions and 400 labels in 45.0 s (209 events/s)');
    expect(text).toContain('APPROVE 8,700 (96.7%), DECLINE 200 (2.2%), REVIEW 100 (1.1%)');
    expect(text).toContain('Dead letters     4\n                   4 features LateEventError: event 9 min late');
    expect(text).toContain('p50 12.3 ms, p95 20.0 ms, p99 31.3 ms, max 80.0 ms over 9,000 decisions');
    expect(text).toContain('Decided by       MODEL_AND_RULES 8,990 (99.9%), RULES_ONLY 10 (0.1%)');
    expect(text).toContain('after warm-up  MODEL_AND_RULES 7,998 (100.0%), RULES_ONLY 2 (0.0%)');
    expect(text).toContain('after warm-up  p50 11.0 ms, p95 18.0 ms, p99 24.5 ms, max 40.0 ms over 8,000 decisions');
  });

  it('reports fraud caught and money, and which services did not stop cleanly', () => {
    expect(text).toContain('120 of 150 labelled frauds (80.0%); missed 30');
    expect(text).toContain('saved €12,345.67');
    expect(text).toContain('lost €500.00');
    expect(text).toContain('features stopped cleanly, scorer exit 1');
  });
});
