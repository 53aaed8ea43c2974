import { describe, expect, it } from 'vitest';
import { type DemoSummary, formatSummary, type RecsysSummary } from './summary.js';

const summary: DemoSummary = {
  run: 'demo-x',
  useCases: ['fraud'],
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
  recsys: null,
};

const recsys: RecsysSummary = {
  published: { interactions: 8_000, requests: 1_000, labels: 300, seconds: 45, rate: 206.7 },
  ranked: {
    received: 998,
    requests: 998,
    duplicates: 0,
    differingDuplicates: 0,
    byPath: { MODEL_AND_RULES: 990, RULES_ONLY: 8 },
    steadyByPath: { MODEL_AND_RULES: 880, RULES_ONLY: 1 },
    latencyMs: { count: 998, p50: 20, p95: 40, p99: 61.04, max: 90, mean: 22 },
    steadyLatencyMs: { count: 881, p50: 18, p95: 30, p99: 45, max: 50, mean: 19 },
  },
  unaccounted: 0,
  deadLettered: 2,
  quality: [
    {
      model_name: 'recsys_rank',
      model_version: '1',
      experiment_variant: 'control',
      recommendations: 990,
      items_shown: 9_900,
      clicks: 396,
      recommendations_clicked: 300,
      ctr: 0.04,
      ndcg_at_10: 0.61234,
      recall_at_10: 0.48,
    },
    {
      model_name: null,
      model_version: null,
      experiment_variant: 'control',
      recommendations: 8,
      items_shown: 80,
      clicks: 0,
      recommendations_clicked: 0,
      ctr: 0,
      ndcg_at_10: null,
      recall_at_10: null,
    },
  ],
  comparison: {
    ranked: { lists: 998, withClick: 400, ndcgAt10: 0.187, recallAt10: 0.3634 },
    popularity: { lists: 998, withClick: 400, ndcgAt10: 0.1, recallAt10: 0.217 },
  },
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

describe('formatSummary with recommendations', () => {
  it('says nothing of recommendations in a fraud-only run', () => {
    expect(formatSummary(summary)).not.toContain('Recommendations');
  });

  it('reports requests ranked, latency, the fallback share and quality beside popularity', () => {
    const text = formatSummary({ ...summary, useCases: ['fraud', 'recsys'], recsys });
    expect(text).toContain('8,000 interactions, 1,000 requests and 300 labels in 45.0 s (207 events/s)');
    expect(text).toContain(
      'Ranked lists out 998 of 1,000 requests (0 ranked twice, 2 dead-lettered, 0 unaccounted for)',
    );
    expect(text).toContain('Ranked by        MODEL_AND_RULES 990 (99.2%), RULES_ONLY 8 (0.8%)');
    expect(text).toContain('p50 20.0 ms, p95 40.0 ms, p99 61.0 ms, max 90.0 ms over 998 lists');
    expect(text).toContain(
      'Quality (sink)   recsys_rank@1 (control): 990 lists, CTR 4.0%, NDCG@10 0.612, recall@10 0.480 over 300 requests with a click',
    );
    expect(text).toContain(
      'rules only (control): 8 lists, CTR 0.0%, NDCG@10 -, recall@10 - over 0 requests with a click',
    );
    expect(text).toContain(
      'ranked lists NDCG@10 0.187, recall@10 0.363; popularity (views over 7 days) NDCG@10 0.100, recall@10 0.217',
    );
    // The fraud part is the fraud-only run's.
    expect(text).toContain('Decisions out    9,000 (0 events decided twice, 0 unaccounted for)');
  });

  it('leaves the fraud lines out of a recommendations-only run', () => {
    const text = formatSummary({ ...summary, useCases: ['recsys'], recsys });
    expect(text).not.toContain('Decisions out');
    expect(text).not.toContain('Fraud caught');
    expect(text).toContain('Ranked lists out 998');
    expect(text).toContain('Dead letters     4');
  });
});
