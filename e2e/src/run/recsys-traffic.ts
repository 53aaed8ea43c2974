import {
  type PublishProgress,
  type PublishStats,
  publishRouted,
  type RecsysConfigInput,
  type RecsysEvent,
  simulateRecsys,
} from '@pipeline/loadtest';
import { type AvroSerde, createProducer, type Kafka } from '@pipeline/shared';
import {
  type Interaction,
  type RecommendationLabel,
  type RecommendationRequest,
  recsysTopics,
  schemaFor,
  valueSubject,
} from '@pipeline/topology';
import type { RecsysRunTopics } from './namespace.js';

export interface RecsysTrafficResult {
  stats: PublishStats;
  /** Acknowledged, per kind. */
  interactions: number;
  requests: number;
  labels: number;
  /** The events sent and acknowledged, in the order sent (with `keepEvents`). */
  events: RecsysEvent[];
}

/**
 * Streams the recommendation simulator's interactions, requests and labels (in event-time order)
 * into a run's recsys topics at `rate` events per second, keyed by user, each batch stamped with
 * its publish time.
 */
export async function streamRecsysTraffic(options: {
  kafka: Kafka;
  serde: AvroSerde;
  topics: RecsysRunTopics;
  simulator?: RecsysConfigInput;
  rate: number;
  durationMs?: number;
  count?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PublishProgress) => void;
  /** Keep the events sent (the demo checks each request and computes the popularity baseline). */
  keepEvents?: boolean;
  events?: Iterable<RecsysEvent>;
}): Promise<RecsysTrafficResult> {
  const { topics, serde } = options;
  const encoder = <T>(topic: string, declared: keyof typeof recsysTopics) =>
    serde.encoder<T>(valueSubject(topic), schemaFor(recsysTopics[declared].valueSchema).type);
  const [interaction, request, label] = await Promise.all([
    encoder<Interaction>(topics.interactions, 'interactions'),
    encoder<RecommendationRequest>(topics.requests, 'requests'),
    encoder<RecommendationLabel>(topics.labels, 'labels'),
  ]);
  const producer = createProducer(options.kafka);
  await producer.connect();
  const kept: RecsysEvent[] = [];
  function* tap(events: Iterable<RecsysEvent>) {
    for (const event of events) {
      if (options.keepEvents) kept.push(event);
      yield event;
    }
  }
  try {
    const stats = await publishRouted(tap(options.events ?? simulateRecsys(options.simulator ?? {})), {
      producer,
      topics: [topics.interactions, topics.requests, topics.labels],
      route: (event) => {
        switch (event.kind) {
          case 'interaction':
            return { topic: topics.interactions, key: event.value.user_id, value: interaction.encode(event.value) };
          case 'request':
            return { topic: topics.requests, key: event.value.user_id, value: request.encode(event.value) };
          case 'label':
            return { topic: topics.labels, key: event.value.user_id, value: label.encode(event.value) };
        }
      },
      rate: options.rate,
      // One batch at a time, as for transactions: a user's interactions must reach the features
      // before the request that follows them.
      maxInFlight: 1,
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      ...(options.count === undefined ? {} : { count: options.count }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    // The tap ran one batch ahead of what was acknowledged: keep only what was sent.
    kept.length = Math.min(kept.length, stats.total);
    return {
      stats,
      interactions: stats.sent[topics.interactions] ?? 0,
      requests: stats.sent[topics.requests] ?? 0,
      labels: stats.sent[topics.labels] ?? 0,
      events: kept,
    };
  } finally {
    await producer.disconnect();
  }
}

/** The request ids among events sent. */
export function requestIdsOf(events: readonly RecsysEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'request' ? [e.value.request_id] : []));
}
