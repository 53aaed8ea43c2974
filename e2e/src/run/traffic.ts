import {
  type PublishProgress,
  type PublishStats,
  publish,
  type SimEvent,
  type SimulatorConfigInput,
  simulate,
} from '@pipeline/loadtest';
import { type AvroSerde, createProducer, type Kafka } from '@pipeline/shared';
import { type Label, schemaFor, type Transaction, valueSubject } from '@pipeline/topology';
import type { RunNamespace } from './namespace.js';

export interface TrafficResult {
  stats: PublishStats;
  /** Event ids of the transactions sent and acknowledged. */
  transactionIds: string[];
  labels: number;
}

/**
 * Streams simulator traffic (transactions and their labels, in event-time order) into the run's
 * topics at `rate` events per second for `durationMs`, each batch stamped with its publish time.
 */
export async function streamTraffic(options: {
  kafka: Kafka;
  serde: AvroSerde;
  ns: RunNamespace;
  /** Simulator settings, when `events` is not given. */
  simulator?: SimulatorConfigInput;
  rate: number;
  durationMs?: number;
  count?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PublishProgress) => void;
  /** Keep the ids of the transactions sent (the demo checks each got a decision). */
  keepIds?: boolean;
  /**
   * One batch at a time (default), so a retried request cannot land after later ones: simulated
   * time runs thousands of times faster than the clock, and half a second late is hours late to
   * the features (dead-lettered as late). Batches grow with what is due, so the rate holds up to
   * about 20,000 events/s here; false sends 16 at once, for pipelines that do not care about order
   * and need more (the identity pipeline).
   */
  ordered?: boolean;
  events?: Iterable<SimEvent>;
}): Promise<TrafficResult> {
  const { ns, serde } = options;
  const encoders = {
    transaction: await serde.encoder<Transaction>(
      valueSubject(ns.topics.transactions),
      schemaFor('fraud/transaction').type,
    ),
    label: await serde.encoder<Label>(valueSubject(ns.topics.labels), schemaFor('fraud/label').type),
  };
  const producer = createProducer(options.kafka);
  await producer.connect();
  const transactionIds: string[] = [];
  function* tap(events: Iterable<SimEvent>) {
    for (const event of events) {
      if (event.kind === 'transaction' && options.keepIds) transactionIds.push(event.value.event_id);
      yield event;
    }
  }
  try {
    const stats = await publish(tap(options.events ?? simulate(options.simulator ?? {})), {
      producer,
      encoders,
      topics: { transactions: ns.topics.transactions, labels: ns.topics.labels },
      rate: options.rate,
      maxInFlight: options.ordered === false ? 16 : 1,
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      ...(options.count === undefined ? {} : { count: options.count }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    // The tap ran one batch ahead of what was acknowledged: keep only what was sent.
    const sent = stats.sent[ns.topics.transactions] ?? 0;
    transactionIds.length = Math.min(transactionIds.length, sent);
    return { stats, transactionIds, labels: stats.sent[ns.topics.labels] ?? 0 };
  } finally {
    await producer.disconnect();
  }
}
