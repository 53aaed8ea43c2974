import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { createTally } from '../vectors/compare.js';
import { headline, renderReport, showValue, type VerifyReplayResult } from './report.js';

function result(): VerifyReplayResult {
  const tally = createTally(fraudFeatureSet, { examples: 3 });
  const reference = fraudFeatureSet.names.map((_, i) => i);
  tally.add('e1', reference, reference);
  tally.add('e2', reference, reference);
  tally.add('e3', reference, reference);
  const wrong = [...reference];
  wrong[fraudFeatureSet.index('terminal_transaction_count_7d')] = 99;
  wrong[fraudFeatureSet.index('terminal_fraud_rate_7d')] = Number.NaN;
  tally.add('e4', wrong, reference);
  tally.missing('e5');
  return {
    date: '2026-12-02',
    run: 'verify-20261202t180000-abcd',
    command: 'npm run verify:replay -- --speed fast',
    machine: { cpus: 2, model: 'cpu', memoryGb: 24, loadBefore: [1, 1, 1], node: 'v20.19.0' },
    history: { seed: 7, days: 14, customers: 2000, terminals: 1000, fraudRate: 0.02, speed: 'fast', lagCap: null },
    featureSet: { name: 'fraud_core', version: 1, features: fraudFeatureSet.names.length, keepDays: 31 },
    published: { transactions: 6, labels: 6, seconds: 1.5 },
    pipelineSeconds: 20,
    referenceSeconds: 3,
    wallSeconds: 40.04,
    peakRssMb: 181.4,
    refused: 1,
    deadLetters: { total: 1, byReason: { 'features LateEventError': { count: 1, example: 'late by 6 min' } } },
    uncleanExits: [],
    comparison: tally.result(),
    days: [
      { day: Date.UTC(2026, 0, 1), vectors: 2, exactVectors: 2 },
      { day: Date.UTC(2026, 0, 2), vectors: 2, exactVectors: 1 },
    ],
  };
}

describe('headline', () => {
  it('carries the figures the issue asks for, per group too', () => {
    expect(headline(result())).toEqual({
      verify: 'replay',
      vectors: 4,
      exact_share: 0.75,
      group_shares: { customer: 1, terminal_counts: 0.75, terminal_fraud_rates: 0.75, event: 1 },
      speed: 'fast',
      lag_cap: null,
      transactions: 6,
      labels: 6,
      refused: 1,
      missing: 1,
      unexpected: 0,
      close_values: 0,
      wall_s: 40,
      pipeline_s: 20,
      reference_s: 3,
      peak_rss_mb: 181,
    });
  });
});

describe('renderReport', () => {
  it('shows the shares per group, the differing features and the worst examples', () => {
    const text = renderReport(result());
    expect(text).toContain('# Replay exactness, 2026-12-02');
    expect(text).toContain('| **all fraud_core v1** | 35 | 3 of 4 | **75.000 %** |');
    expect(text).toContain('| customer_* (one partition per customer) | 20 | 4 | 100 % |');
    expect(text).toContain('| terminal_* counts | 3 | 3 | 75.000 % |');
    expect(text).toContain('| terminal_transaction_count_7d | 1 | 25.000 % | 0 |');
    expect(text).toContain('| e4 | terminal_fraud_rate_7d | NaN | 24 |');
    expect(text).toContain('| e4 | terminal_transaction_count_7d | 99 | 21 |');
    expect(text).toContain('features LateEventError 1 (e.g. late by 6 min)');
    expect(text).toContain('Accepted but not in ClickHouse: 1 (e.g. e5)');
    expect(text).toContain("wall 40.0 s; peak memory of the check's process 181 MB.");
    expect(text).not.toContain('customer_amount_count_1h |');
    expect(text).toContain('1 of 2 days of event time had every vector exact');
    expect(text).toContain('| 2026-01-02 | 2 | 1 | 50.000 % |');
    expect(text).not.toContain('| 2026-01-01 |');
  });
});

describe('showValue', () => {
  it('writes NaN and every digit', () => {
    expect(showValue(Number.NaN)).toBe('NaN');
    expect(showValue(0.1 + 0.2)).toBe('0.30000000000000004');
  });
});
