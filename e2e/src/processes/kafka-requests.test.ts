import { describe, expect, it } from 'vitest';
import { formatRequests, parseRequestCounts, totalRate } from './kafka-requests.js';

describe('Kafka request counts from a /metrics page', () => {
  it('sums kafka_client_requests_total by api over roles and ignores everything else', () => {
    const page = [
      '# HELP kafka_client_requests_total Requests sent to the Kafka brokers, by API and client role',
      '# TYPE kafka_client_requests_total counter',
      'kafka_client_requests_total{api="Fetch",role="consumer"} 120',
      'kafka_client_requests_total{api="Produce",role="producer"} 80',
      'kafka_client_requests_total{api="Metadata",role="consumer"} 2',
      'kafka_client_requests_total{api="Metadata",role="producer"} 3',
      'pipeline_messages_consumed_total{topic="t"} 999',
      '',
    ].join('\n');
    const counts = parseRequestCounts(page);
    expect(counts).toEqual({ Fetch: 120, Produce: 80, Metadata: 5 });
    expect(totalRate(counts)).toBe(205);
    expect(parseRequestCounts('')).toEqual({});
  });

  it('formats each process with its total and its busiest APIs', () => {
    const line = formatRequests({
      features: { Fetch: 100.4, Produce: 99.6, OffsetCommit: 10, Heartbeat: 1, Metadata: 0.1 },
      sink: { Fetch: 2 },
    });
    expect(line).toBe('features 211/s (Fetch 100, Produce 100, OffsetCommit 10), sink 2/s (Fetch 2)');
    expect(formatRequests({})).toBe('-');
  });
});
