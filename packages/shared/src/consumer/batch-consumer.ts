import { metrics } from '@opentelemetry/api';
import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { DeadLetterPublisher, Rejected } from '../dead-letter/dead-letter.js';
import { errorMessage, PipelineError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { Decoder } from '../serde/avro-serde.js';

export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: T;
  headers: IHeaders;
  /** Broker timestamp (ms) of the message. */
  timestamp: number;
}

export interface BatchContext {
  topic: string;
  partition: number;
  heartbeat(): Promise<void>;
}

export interface HandlerResult<T> {
  /** Records the handler could not process for a reason in the record itself: they are dead-lettered. */
  rejected?: { record: ConsumedRecord<T>; error: unknown }[];
}

/**
 * Handles one batch from one partition. It must make its output durable (produced with acks, written
 * to a store) before it resolves: the offsets are committed right after.
 */
export type BatchHandler<T> = (
  records: ConsumedRecord<T>[],
  context: BatchContext,
) => Promise<HandlerResult<T>> | Promise<void>;

export interface BatchConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  /** Topic name → decoder of that topic's values. */
  decoders: Record<string, Decoder<T>>;
  handler: BatchHandler<T>;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  /** Called when the consumer stops on an error it will not retry; the service should exit. */
  onCrash?: (error: Error) => void;
  /**
   * 0: commit each batch's offsets right after it is durable (one commit request per batch). Above
   * 0: durable batches' offsets are committed together every this many ms and when the consumer
   * stops, saving a request per batch; a crash then redelivers up to this much more, which the
   * services' idempotent handling absorbs.
   */
  commitIntervalMs?: number;
  /**
   * Called when a batch is durable (handled, dead letters published), before its offsets are
   * committed; also for a batch whose every message was dead-lettered. Where a service records how
   * far it has got; an error here fails the batch like the handler's.
   */
  onDurable?: (batch: DurableBatch) => Promise<void>;
}

export interface DurableBatch {
  topic: string;
  partition: number;
  /** Offset after the batch's last message. */
  nextOffset: string;
  /** The partition's high watermark when the batch was fetched. */
  highWatermark: string;
}

export interface BatchConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly consumer: Consumer;
}

/** Splits raw messages into decoded records and rejects; a retriable error (registry down) is rethrown. */
export function decodeBatch<T>(
  topic: string,
  partition: number,
  messages: KafkaMessage[],
  decoder: Decoder<T>,
): { records: ConsumedRecord<T>[]; rejected: Rejected[] } {
  const records: ConsumedRecord<T>[] = [];
  const rejected: Rejected[] = [];
  for (const message of messages) {
    try {
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key,
        value: decoder.decode(message.value),
        headers: message.headers ?? {},
        timestamp: Number(message.timestamp),
      });
    } catch (error) {
      if (error instanceof PipelineError && error.retriable) throw error;
      rejected.push({ topic, partition, message, error });
    }
  }
  return { records, rejected };
}

/**
 * The consumer loop every service runs: decode a batch, dead-letter what does not decode, hand the
 * rest to the handler, and commit the batch's offsets only once the handler's output and the dead
 * letters are durable. On an error nothing of the batch is committed, so it is redelivered; kafkajs
 * retries it, and restarts the consumer only when the cause is retriable.
 */
export function createBatchConsumer<T>(options: BatchConsumerOptions<T>): BatchConsumer {
  const { kafka, groupId, decoders, handler, deadLetters, logger } = options;
  const meter = metrics.getMeter('pipeline.consumer');
  const consumedCounter = meter.createCounter('pipeline_messages_consumed', { description: 'Messages consumed' });
  const deadLetterCounter = meter.createCounter('pipeline_dead_letters', { description: 'Messages dead-lettered' });
  const batchDuration = meter.createHistogram('pipeline_batch_duration', {
    unit: 'ms',
    description: 'Batch handling time',
  });

  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    retry: {
      retries: 5,
      initialRetryTime: 200,
      restartOnFailure: async (error) => {
        const retriable = isRetriable(error);
        logger.error({ err: error, restart: retriable }, 'consumer failed');
        return retriable;
      },
    },
  });
  const crashListener = consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) options.onCrash?.(event.payload.error);
  });

  const commitIntervalMs = options.commitIntervalMs ?? 0;
  /** Next offset to commit per topic-partition, for batches already durable. */
  const durable = new Map<string, { topic: string; partition: number; offset: string }>();
  let committer: NodeJS.Timeout | undefined;
  let stopping = false;
  // Before a rebalance takes partitions away, commit what is durable; after it, whatever was left
  // belongs to the previous generation (the partitions' new owners redeliver it).
  const rebalancing = consumer.on(consumer.events.REBALANCING, () => void commitDurable());
  const joined = consumer.on(consumer.events.GROUP_JOIN, () => durable.clear());
  const commitDurable = async () => {
    if (durable.size === 0) return;
    const offsets = [...durable.values()];
    durable.clear();
    try {
      await consumer.commitOffsets(offsets);
    } catch (error) {
      // A rebalance took the partitions: their new owner starts from the last commit and redelivers.
      logger.warn({ err: error, partitions: offsets.length }, 'interval commit failed; batches will be redelivered');
    }
  };

  return {
    consumer,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: Object.keys(decoders), fromBeginning: options.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        // Offsets are resolved by hand, after the commit: a batch left early (stale after a
        // rebalance, or stopping) is fetched again rather than skipped.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const started = performance.now();
          const { topic, partition } = batch;
          const decoder = decoders[topic];
          if (!decoder) throw new PipelineError(`no decoder for topic ${topic}`);
          await decoder.prepare(batch.messages.map((m) => m.value));
          const { records, rejected } = decodeBatch(topic, partition, batch.messages, decoder);
          const result = (records.length > 0 ? await handler(records, { topic, partition, heartbeat }) : undefined) as
            | HandlerResult<T>
            | undefined;
          for (const r of result?.rejected ?? []) {
            // Dead letters carry the original bytes, not the decoded value.
            const message = batch.messages.find((m) => m.offset === r.record.offset);
            if (message) rejected.push({ topic, partition, message, error: r.error });
          }
          await deadLetters.publish(rejected);
          for (const r of rejected) {
            logger.warn({ topic, partition, offset: r.message.offset, reason: errorMessage(r.error) }, 'dead-lettered');
          }
          const next = { topic, partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() };
          await options.onDurable?.({ topic, partition, nextOffset: next.offset, highWatermark: batch.highWatermark });
          if (commitIntervalMs > 0 && !stopping) durable.set(`${topic}:${partition}`, next);
          else await consumer.commitOffsets([next]);
          resolveOffset(batch.lastOffset());
          await heartbeat();
          consumedCounter.add(batch.messages.length, { topic });
          if (rejected.length > 0) deadLetterCounter.add(rejected.length, { topic });
          batchDuration.record(performance.now() - started, { topic });
        },
      });
      if (commitIntervalMs > 0) committer = setInterval(() => void commitDurable(), commitIntervalMs);
    },
    async stop() {
      crashListener();
      rebalancing();
      joined();
      clearInterval(committer);
      // Commit what is durable while still in the group; a batch finishing during the disconnect
      // commits itself.
      stopping = true;
      await commitDurable();
      await consumer.disconnect();
    },
  };
}

function isRetriable(error: unknown): boolean {
  if (error instanceof PipelineError) return error.retriable;
  // kafkajs marks its own transient errors (leader moves, timeouts) as retriable.
  return (error as { retriable?: boolean } | undefined)?.retriable === true;
}
