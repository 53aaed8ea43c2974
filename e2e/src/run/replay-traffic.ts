import { type PublishEncoders, publish, type SimEvent } from '@pipeline/loadtest';
import { type AvroSerde, createProducer, type Kafka } from '@pipeline/shared';
import { type Label, schemaFor, type Transaction, valueSubject } from '@pipeline/topology';
import type { RunNamespace } from './namespace.js';

/** fast: as fast as the broker takes it; slow: a cap on how far ahead of the feature service. */
export type Speed = 'fast' | 'slow';

export interface ReplayPublished {
  transactions: number;
  labels: number;
  durationMs: number;
}

/**
 * How many messages the slow replay may publish now: up to the cap beyond what the feature service
 * has consumed, but nothing until a quarter of the cap is free, so it sends batches, not dribbles.
 */
export function slowAllowance(published: number, consumed: number, cap: number): number {
  const free = cap - Math.max(0, published - consumed);
  return free >= Math.ceil(cap / 4) ? free : 0;
}

/**
 * Messages the feature service's two groups have committed on the run's transactions and labels:
 * what it has consumed and made durable (its enriched output included).
 */
export async function featuresProgress(kafka: Kafka, ns: RunNamespace) {
  const admin = kafka.admin();
  await admin.connect();
  const group = `${ns.groupPrefix}features`;
  return {
    async consumed(): Promise<number> {
      const [tx, labels] = await Promise.all([
        admin.fetchOffsets({ groupId: group, topics: [ns.topics.transactions] }),
        admin.fetchOffsets({ groupId: `${group}.labels`, topics: [ns.topics.labels] }),
      ]);
      return [...tx, ...labels].flatMap((t) => t.partitions).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    },
    close: () => admin.disconnect(),
  };
}

/** Hands out one iterator's items across several `publish` calls, which close what they are given. */
function continuing<T>(iterator: Iterator<T>): Iterable<T> {
  return { [Symbol.iterator]: () => ({ next: () => iterator.next() }) };
}

/**
 * Publishes the history in its order to the run's transactions and labels topics, one batch in
 * flight at a time so a retried request cannot land behind a later one. `fast`: as fast as the
 * broker acknowledges; `slow`: no more than `lagCap` messages beyond what `consumed` reports.
 */
export async function publishReplay(options: {
  kafka: Kafka;
  serde: AvroSerde;
  ns: RunNamespace;
  events: Iterable<SimEvent>;
  speed: Speed;
  lagCap: number;
  consumed: () => Promise<number>;
  signal?: AbortSignal;
  onProgress?: (published: number) => void;
}): Promise<ReplayPublished> {
  const { ns, serde } = options;
  const encoders: PublishEncoders = {
    transaction: await serde.encoder<Transaction>(
      valueSubject(ns.topics.transactions),
      schemaFor('fraud/transaction').type,
    ),
    label: await serde.encoder<Label>(valueSubject(ns.topics.labels), schemaFor('fraud/label').type),
  };
  const producer = createProducer(options.kafka);
  await producer.connect();
  const began = performance.now();
  const topics = { transactions: ns.topics.transactions, labels: ns.topics.labels };
  const sent = { transactions: 0, labels: 0 };
  const events = continuing(options.events[Symbol.iterator]());
  const send = async (count?: number) => {
    const stats = await publish(events, {
      producer,
      encoders,
      topics,
      rate: 0,
      maxInFlight: 1,
      ...(count === undefined ? {} : { count }),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => options.onProgress?.(sent.transactions + sent.labels + p.sent),
    });
    sent.transactions += stats.sent[topics.transactions] ?? 0;
    sent.labels += stats.sent[topics.labels] ?? 0;
    if (stats.failed > 0) throw new Error(`publishing failed: ${stats.errors.join('; ')}`);
    if (stats.stoppedBy === 'aborted') throw new Error('publishing interrupted');
    return stats.stoppedBy === 'exhausted';
  };
  try {
    if (options.speed === 'fast') await send();
    else {
      for (let done = false; !done; ) {
        const allowed = slowAllowance(sent.transactions + sent.labels, await options.consumed(), options.lagCap);
        if (allowed === 0) {
          if (options.signal?.aborted) throw new Error('publishing interrupted');
          // Commits come every KAFKA_COMMIT_INTERVAL (500 ms): asking much more often only loads the broker.
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        done = await send(allowed);
        options.onProgress?.(sent.transactions + sent.labels);
      }
    }
    return { ...sent, durationMs: performance.now() - began };
  } finally {
    await producer.disconnect();
  }
}
