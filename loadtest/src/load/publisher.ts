import { setTimeout as delay } from 'node:timers/promises';
import {
  type AvroSerde,
  type Encoder,
  errorMessage,
  kafkajs,
  type Producer,
  PUBLISH_TIME_HEADER,
} from '@pipeline/shared';
import { type Label, schemaFor, type Transaction, topics, valueSubject } from '@pipeline/topology';
import type { SimEvent } from '../simulator/events.js';
import { createPacer, dueWithin } from './pacer.js';

type ProducerBatch = Parameters<Producer['sendBatch']>[0];
type Message = NonNullable<ProducerBatch['topicMessages']>[number]['messages'][number];
type TopicMessages = NonNullable<ProducerBatch['topicMessages']>[number];

export interface PublishEncoders {
  transaction: Encoder<Transaction>;
  label: Encoder<Label>;
}

/** Encoders for the value subjects of `transactions` and `labels` (registers the schemas if needed). */
export async function createPublishEncoders(serde: AvroSerde): Promise<PublishEncoders> {
  const [transaction, label] = await Promise.all([
    serde.encoder<Transaction>(valueSubject(topics.transactions.name), schemaFor(topics.transactions.valueSchema).type),
    serde.encoder<Label>(valueSubject(topics.labels.name), schemaFor(topics.labels.valueSchema).type),
  ]);
  return { transaction, label };
}

export interface PublishProgress {
  elapsedMs: number;
  /** Acknowledged by the broker so far. */
  sent: number;
  /** Acknowledged per second since the start. */
  rate: number;
  inFlight: number;
  failed: number;
}

/** A message of an event: its topic, key and encoded value. */
export interface RoutedMessage {
  topic: string;
  key: string;
  value: Buffer;
}

export interface PublishOptions extends PacedOptions {
  encoders: PublishEncoders;
  /** Where to write; the topology's `transactions` and `labels` unless given (benchmarks use their own). */
  topics?: { transactions: string; labels: string };
}

/** Any events, each encoded and given its topic and key by `route`. */
export interface RoutedPublishOptions<E> extends PacedOptions {
  route: (event: E) => RoutedMessage;
  /** The topics `route` writes to, counted in `sent` from 0 (in this order within a batch). */
  topics: readonly string[];
}

export interface PacedOptions {
  producer: Producer;
  /** Target events per second; 0 (the default) publishes as fast as the broker acknowledges. */
  rate?: number;
  /** Stop after this long; with `count` too, whichever comes first. Neither: until the events run out. */
  durationMs?: number;
  count?: number;
  /**
   * Most messages in one sendBatch (one produce request). Default 2,000: kafkajs groups a batch's
   * messages by partition in time quadratic in the messages per partition, so much larger batches
   * cost more than they save (see the bench notes in bench/load-bench.ts).
   */
  maxBatch?: number;
  /** When paced, at most this long between sends: a batch holds what became due meanwhile. Default 5 ms. */
  lingerMs?: number;
  /** Sends awaiting acknowledgement at once; with maxBatch, bounds the memory held. Default 16. */
  maxInFlight?: number;
  /** A kafkajs CompressionTypes value; default none. */
  compression?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PublishProgress) => void;
  /** Default 1,000 ms. */
  progressIntervalMs?: number;
  /** Monotonic milliseconds for pacing; default performance.now. */
  clock?: () => number;
  /** Epoch milliseconds for the publish-time header; default Date.now. */
  wallClock?: () => number;
}

export type StopReason = 'count' | 'duration' | 'exhausted' | 'aborted' | 'error';

export interface PublishStats {
  /** Messages acknowledged, per topic. */
  sent: Record<string, number>;
  total: number;
  /** Messages in batches the producer gave up on. */
  failed: number;
  /** Distinct error messages (the first few). */
  errors: string[];
  /** From the start to the last acknowledgement. */
  durationMs: number;
  /** Achieved: acknowledged messages per second over durationMs. */
  rate: number;
  /** Events per second asked for; 0 = as fast as possible. */
  targetRate: number;
  batches: number;
  stoppedBy: StopReason;
}

const MAX_ERRORS_KEPT = 5;

/**
 * Publishes simulator events to Kafka: transactions to one topic, labels to the other, Avro in the
 * Confluent wire format, keyed by customer_id, acks from all in-sync replicas. Events are taken
 * from the iterable as they become due (see pacer.ts), up to `maxBatch` at a time, each batch one
 * sendBatch call with up to `maxInFlight` calls unacknowledged. Every message of a batch carries
 * the `publish-time-ms` header, stamped just before the batch is handed to the producer.
 *
 * Stops at `count`, at `durationMs`, when the events run out, on `signal`, or after the first
 * failed batch (kafkajs has retried it by then; a dead broker should end a load run, not be
 * hammered). Waits for everything in flight before returning.
 */
export async function publish(events: Iterable<SimEvent>, options: PublishOptions): Promise<PublishStats> {
  const { encoders, topics: given, ...paced } = options;
  const topicNames = given ?? { transactions: topics.transactions.name, labels: topics.labels.name };
  return publishRouted(events, {
    ...paced,
    topics: [topicNames.transactions, topicNames.labels],
    route: (event) =>
      event.kind === 'transaction'
        ? {
            topic: topicNames.transactions,
            key: event.value.customer_id,
            value: encoders.transaction.encode(event.value),
          }
        : { topic: topicNames.labels, key: event.value.customer_id, value: encoders.label.encode(event.value) },
  });
}

/**
 * `publish` for any events (another use case's): each event becomes the message `route` gives it,
 * with the same pacing, batching, header, stopping and statistics.
 */
export async function publishRouted<E>(events: Iterable<E>, options: RoutedPublishOptions<E>): Promise<PublishStats> {
  const {
    producer,
    route,
    rate = 0,
    durationMs,
    count,
    maxBatch = 2_000,
    lingerMs = 5,
    maxInFlight = 16,
    compression = kafkajs().CompressionTypes.None,
    signal,
    onProgress,
    progressIntervalMs = 1_000,
    clock = () => performance.now(),
    wallClock = Date.now,
  } = options;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a finite number >= 0, got ${rate}`);
  if (!(maxBatch >= 1 && maxInFlight >= 1)) throw new RangeError('maxBatch and maxInFlight must be at least 1');

  const sent: Record<string, number> = Object.fromEntries(options.topics.map((t) => [t, 0]));
  const errors: string[] = [];
  let total = 0;
  let failed = 0;
  let batches = 0;
  const inFlight = new Set<Promise<void>>();

  const start = clock();
  const pacer = createPacer(rate, start);
  const limit = Math.min(
    count ?? Number.POSITIVE_INFINITY,
    durationMs === undefined ? Number.POSITIVE_INFINITY : dueWithin(rate, durationMs),
  );
  // When paced, wake up once `chunk` more events are due rather than for every event.
  const chunk = rate === 0 ? maxBatch : Math.min(maxBatch, Math.max(1, Math.round((rate * lingerMs) / 1000)));
  const iterator = events[Symbol.iterator]();
  let taken = 0;
  let lastProgress = start;
  let stoppedBy: StopReason | undefined;
  let finalBatch = false;

  const progress = (now: number) => {
    if (!onProgress || now - lastProgress < progressIntervalMs) return;
    lastProgress = now;
    const elapsedMs = now - start;
    onProgress({
      elapsedMs,
      sent: total,
      rate: elapsedMs > 0 ? (total * 1000) / elapsedMs : 0,
      inFlight: inFlight.size,
      failed,
    });
  };

  const send = (byTopic: Map<string, Message[]>) => {
    const topicMessages: TopicMessages[] = [];
    const headers = { [PUBLISH_TIME_HEADER]: String(wallClock()) };
    let count = 0;
    for (const [topic, messages] of byTopic) {
      if (messages.length === 0) continue;
      topicMessages.push({ topic, messages });
      for (const message of messages) message.headers = headers;
      count += messages.length;
    }
    batches++;
    const request = producer.sendBatch({ topicMessages, acks: -1, compression }).then(
      () => {
        for (const [topic, messages] of byTopic) sent[topic] = (sent[topic] ?? 0) + messages.length;
        total += count;
      },
      (error: unknown) => {
        failed += count;
        const message = errorMessage(error);
        if (errors.length < MAX_ERRORS_KEPT && !errors.includes(message)) errors.push(message);
      },
    );
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  while (stoppedBy === undefined) {
    const now = clock();
    progress(now);
    if (signal?.aborted) stoppedBy = 'aborted';
    else if (failed > 0) stoppedBy = 'error';
    else if (taken >= limit) stoppedBy = taken >= (count ?? Number.POSITIVE_INFINITY) ? 'count' : 'duration';
    else if (durationMs !== undefined && now - start >= durationMs) {
      // Paced, the timer may wake just past the end with the last events due before it unsent:
      // send those (one batch at most), then stop.
      if (rate === 0 || finalBatch) stoppedBy = 'duration';
      finalBatch = true;
    }
    if (stoppedBy !== undefined) break;

    const allowed = Math.min(pacer.due(now), limit) - taken;
    if (allowed <= 0) {
      await sleep(pacer.timeFor(Math.min(taken + chunk, limit)) - now, signal);
      continue;
    }
    if (inFlight.size >= maxInFlight) {
      await Promise.race(inFlight);
      continue;
    }

    const wanted = Math.min(allowed, maxBatch);
    const byTopic = new Map<string, Message[]>(options.topics.map((t) => [t, []]));
    let pulled = 0;
    try {
      while (pulled < wanted) {
        const next = iterator.next();
        if (next.done) {
          stoppedBy = 'exhausted';
          break;
        }
        pulled++;
        const { topic, key, value } = route(next.value);
        const messages = byTopic.get(topic);
        if (messages) messages.push({ key, value });
        else byTopic.set(topic, [{ key, value }]);
      }
    } catch (error) {
      // A value the schema refuses is a bug in the events: report it rather than publish around it.
      errors.push(errorMessage(error));
      failed++;
      stoppedBy = 'error';
    }
    taken += pulled;
    if ([...byTopic.values()].some((m) => m.length > 0)) send(byTopic);
  }

  if (stoppedBy !== 'exhausted') iterator.return?.();
  while (inFlight.size > 0) await Promise.race(inFlight);
  const elapsed = clock() - start;
  return {
    sent,
    total,
    failed,
    errors,
    durationMs: elapsed,
    rate: elapsed > 0 ? (total * 1000) / elapsed : 0,
    targetRate: rate,
    batches,
    stoppedBy,
  };
}

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return;
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch {
    // Aborted: the loop sees signal.aborted.
  }
}
