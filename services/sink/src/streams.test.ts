import { describe, expect, it } from 'vitest';
import { storedTopics, USE_CASE_STREAMS } from './streams.js';

describe('storedTopics', () => {
  it("takes each use case's topics from the topology, renamed where asked", () => {
    const stored = storedTopics(['recsys', 'fraud', 'recsys'], { 'recsys.labels': 'run1.recsys_labels' });
    expect(stored.map((s) => s.topic)).toEqual([
      'recsys.interactions',
      'recsys.requests',
      'recsys.enriched-requests',
      'recsys.scores',
      'recsys.recommendations',
      'run1.recsys_labels',
      'transactions.enriched',
      'scores',
      'decisions',
      'labels',
    ]);
    // Every stream reads its topic's declared schema: the recsys streams the recsys schemas.
    expect(USE_CASE_STREAMS.recsys.map((s) => s.topic.valueSchema)).toEqual([
      'recsys/interaction',
      'recsys/recommendation-request',
      'recsys/enriched-request',
      'recsys/score',
      'recsys/recommendation',
      'recsys/label',
    ]);
  });

  it('refuses two streams on one topic: one of them would never be stored', () => {
    expect(() => storedTopics(['fraud', 'recsys'], { 'recsys.labels': 'labels' })).toThrow(
      'topic labels is stored by two streams',
    );
  });
});
