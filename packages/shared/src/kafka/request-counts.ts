import { metrics } from '@opentelemetry/api';
import type { RequestEvent } from 'kafkajs';

/**
 * A listener for a client's REQUEST events that counts every request sent to the brokers, by API
 * (Fetch, Produce, OffsetCommit, Heartbeat…): `kafka_client_requests` on /metrics. On a small
 * machine the broker's CPU, and much of a service's, goes per request rather than per message.
 */
export function requestCounter(role: 'consumer' | 'producer'): (event: RequestEvent) => void {
  const counter = metrics.getMeter('pipeline.kafka').createCounter('kafka_client_requests', {
    description: 'Requests sent to the Kafka brokers, by API and client role',
  });
  const attributes = new Map<string, { api: string; role: string }>();
  return (event) => {
    const api = event.payload.apiName;
    let a = attributes.get(api);
    if (!a) {
      a = { api, role };
      attributes.set(api, a);
    }
    counter.add(1, a);
  };
}
