import { describe, expect, it } from 'vitest';
import { parsePrometheus, serviceCounters, sumBy } from './prometheus.js';

const page = `# HELP pipeline_messages_consumed_total Messages consumed
# TYPE pipeline_messages_consumed_total counter
pipeline_messages_consumed_total{topic="transactions"} 120 1700000000000
pipeline_messages_consumed_total{topic="labels"} 7
pipeline_dead_letters_total{topic="transactions"} 3
decision_latency_bucket{path="RULES_ONLY",le="+Inf"} 4
weird{a="x \\"quoted\\", y"} 1.5
not a sample line
`;

describe('Prometheus text', () => {
  it('reads names, labels (escaped quotes too) and values, skipping comments and junk', () => {
    const samples = parsePrometheus(page);
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({
      name: 'pipeline_messages_consumed_total',
      labels: { topic: 'transactions' },
      value: 120,
    });
    expect(samples[3]?.labels).toEqual({ path: 'RULES_ONLY', le: '+Inf' });
    expect(samples[4]?.labels.a).toBe('x "quoted", y');
  });

  it('sums a metric, by a label or in total', () => {
    const samples = parsePrometheus(page);
    expect(sumBy(samples, 'pipeline_messages_consumed_total')).toEqual({ '': 127 });
    expect(sumBy(samples, 'pipeline_messages_consumed_total', 'topic')).toEqual({ transactions: 120, labels: 7 });
    expect(sumBy(samples, 'missing')).toEqual({});
  });

  it('picks the consumer loop counters of a service', () => {
    expect(serviceCounters(page)).toEqual({
      consumed: { transactions: 120, labels: 7 },
      deadLettered: { transactions: 3 },
      requests: null,
    });
  });
});
