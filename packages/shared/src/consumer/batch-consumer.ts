import { metrics } from '@opentelemetry/api';
import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { DeadLetterPublisher, Rejected } from '../dead-letter/dead-letter.js';
import { AbandonedBatchError, errorMessage, PipelineError } from '../errors.js';
import { requestCounter } from '../kafka/request-counts.js';
import type { Logger } from '../logging/logger.js';
import type { Decoder } from '../serde/avro-serde.js';
import { createCommitter } from './commits.js';
import { createInFlight } from './in-flight.js';

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
  /**
   * The batch's output is durable once this resolves, not when the handler returns: the loop fetches
   * on meanwhile and commits the batch after it settles. A rejection consumes the batch again.
   * If it resolves to a `LateRejections`, those records, found unprocessable only on the way, are
   * dead-lettered before the commit.
   */
  settled?: Promise<unknown>;
}

export interface LateRejections<T> {
  rejected: NonNullable<HandlerResult<T>['rejected']>;
}

/** How long a fetch may wait on the broker for data, and for how much: batching that follows the load. */
export interface FetchTuning {
  /** The broker answers once this many bytes are there... */
  minBytes: number;
  /** ...or after this long: the most a message waits for its batch when traffic is light. */
  maxWaitMs: number;
}

export const DEFAULT_FETCH: FetchTuning = { minBytes: 64 * 1024, maxWaitMs: 10 };

/** How soon the group hands a dead member's partitions to the others (or to its restarted self). */
export interface SessionTuning {
  /** No heartbeat for this long and the member is out of the group. */
  timeoutMs: number;
  heartbeatMs: number;
}

/**
 * kafkajs's 30 s session would keep a SIGKILLed member's partitions unread for that long after its
 * restart, and it bounds how soon a restarted service decides again. The broker's minimum, 6 s, is
 * six heartbeats: a slow batch does not miss them, since a timer heartbeats while batches are
 * handled (kafkajs alone heartbeats only between batches).
 */
export const DEFAULT_SESSION: SessionTuning = { timeoutMs: 6_000, heartbeatMs: 1_000 };

/** What a service passes through from its Kafka variables (see `consumerTuning`). */
export interface ConsumerTuning {
  commitIntervalMs: number;
  fetch: FetchTuning;
  session: SessionTuning;
}

/**
 * Handles one batch from one partition. It must make its output durable (produced with acks, written
 * to a store) before it resolves, or before the `settled` it returns resolves: the offsets are
 * committed right after.
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
  fetch?: FetchTuning;
  session?: SessionTuning;
  /** Handlers that return `settled`: at most this many batches unsettled before fetching waits. */
  maxBatchesInFlight?: number;
  /**
   * Called after each fetch, before any of its batches is handled, with every partition it answered
   * for (empty ones too): for handlers that order records across partitions.
   */
  onFetch?: (partitions: FetchedPartition[], at: FetchTimes) => void;
  /** Called with the member's partitions each time it joins the group. */
  onAssigned?: (assignment: Record<string, number[]>) => void;
  /**
   * Called when the group is found rebalancing (by a heartbeat, or as kafkajs starts to rejoin): the
   * member rejoins once the batches being handled return, and every partition it then holds starts
   * again at its last commit. A handler holding records back may drop them: it settles their batches
   * with `AbandonedBatchError`.
   */
  onRebalancing?: () => void;
}

/** Wall times (ms) a fetch was sent and answered. */
export interface FetchTimes {
  startedAt: number;
  returnedAt: number;
}

/** One partition of a fetch response. */
export interface FetchedPartition {
  topic: string;
  partition: number;
  highWatermark: string;
  /** Where the partition stands once the fetch's batch for it is handled. */
  nextOffset: string;
  /** Whether a batch of messages follows for it (to the handler). */
  delivered: boolean;
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
  /** In its group since the last join, and neither crashed nor stopped: what readiness reports. */
  readonly consuming: boolean;
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
 *
 * A handler that returns `settled` lets the loop fetch on while its output is still on the way: the
 * batch is committed once it settles, partition by partition in offset order; if it fails, the
 * partition is consumed again from that batch.
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
    minBytes: options.fetch?.minBytes ?? DEFAULT_FETCH.minBytes,
    maxWaitTimeInMs: options.fetch?.maxWaitMs ?? DEFAULT_FETCH.maxWaitMs,
    sessionTimeout: options.session?.timeoutMs ?? DEFAULT_SESSION.timeoutMs,
    heartbeatInterval: options.session?.heartbeatMs ?? DEFAULT_SESSION.heartbeatMs,
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
  consumer.on(consumer.events.REQUEST, requestCounter('consumer'));
  let consuming = false;
  let runConfig: Parameters<Consumer['run']>[0];
  let stopping = false;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const crashListener = consumer.on(consumer.events.CRASH, (event) => {
    consuming = false;
    const { error, restart } = event.payload;
    if (restart || stopping) return;
    // kafkajs gives up on a broker that is restarting (no group coordinator yet) as on a bug: run
    // again, with a growing pause, for as long as a server restart takes.
    if (transientCrash(error) && restarts < TRANSIENT_RESTARTS) {
      const delayMs = Math.min(500 * 2 ** restarts, 10_000);
      restarts += 1;
      logger.warn({ err: error, delayMs, attempt: restarts }, 'consumer stopped by a fault that passes; restarting');
      restartTimer = setTimeout(() => {
        consumer.run(runConfig).catch((e: Error) => options.onCrash?.(e));
      }, delayMs);
      return;
    }
    options.onCrash?.(error);
  });
  const stopListener = consumer.on(consumer.events.STOP, () => {
    consuming = false;
  });

  const committer = createCommitter({
    commitOffsets: (offsets) => consumer.commitOffsets(offsets),
    intervalMs: options.commitIntervalMs ?? 0,
    logger,
  });
  // Before a rebalance takes partitions away, commit what is durable; after it, whatever was left
  // belongs to the previous generation (the partitions' new owners redeliver it).
  const rebalancing = consumer.on(consumer.events.REBALANCING, () => {
    void committer.flush();
    options.onRebalancing?.();
  });
  const joined = consumer.on(consumer.events.GROUP_JOIN, (event) => {
    consuming = true;
    restarts = 0;
    committer.forget();
    options.onAssigned?.(event.payload.memberAssignment);
  });
  // The FETCH event's `partitions` is added by this project's kafkajs patch.
  const fetched = options.onFetch
    ? consumer.on(consumer.events.FETCH, (event) => {
        const { partitions, duration } = event.payload as { partitions?: FetchedPartition[]; duration: number };
        if (partitions)
          options.onFetch?.(partitions, { startedAt: event.timestamp - duration, returnedAt: event.timestamp });
      })
    : () => {};

  /** A batch whose output failed after its handler returned: raised by the next batch, so kafkajs restarts or crashes. */
  let failure: unknown;
  const inFlight = createInFlight((batch, error) => {
    // The rejoin starts every partition at its last commit: nothing to seek back or restart.
    if (error instanceof AbandonedBatchError) return;
    failure ??= error;
    logger.error(
      { err: error, topic: batch.topic, partition: batch.partition },
      'batch output failed; consuming it again',
    );
    try {
      consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset });
    } catch (seekError) {
      // Not running any more: the next start begins at the last commit anyway.
      logger.warn({ err: seekError }, 'could not seek back');
    }
  });
  const maxInFlight = options.maxBatchesInFlight ?? 256;
  const heartbeatMs = options.session?.heartbeatMs ?? DEFAULT_SESSION.heartbeatMs;
  let handling = 0;
  // kafkajs heartbeats only between batches: a long one (a catch-up fetch of thousands of events)
  // would outlast the session and cost the partitions to a rebalance. So one timer heartbeats while
  // any batch is being handled.
  let groupHeartbeat: (() => Promise<void>) | undefined;
  let beat: NodeJS.Timeout | undefined;

  const rebalanceSeen = (error: unknown) => {
    if (isRebalancing(error)) options.onRebalancing?.();
  };

  const durable = async (topic: string, partition: number, next: string, highWatermark: string) => {
    await options.onDurable?.({ topic, partition, nextOffset: next, highWatermark });
    try {
      await committer.commit({ topic, partition, offset: next });
    } catch (error) {
      // The partitions moved to another member (rebalance): it starts from the last commit.
      logger.warn({ err: error, topic, partition }, 'commit failed; the batch will be redelivered');
    }
  };

  return {
    consumer,
    get consuming() {
      return consuming;
    },
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: Object.keys(decoders), fromBeginning: options.fromBeginning ?? false });
      beat = setInterval(() => {
        if (handling > 0) void groupHeartbeat?.().catch(rebalanceSeen);
      }, heartbeatMs);
      beat.unref();
      runConfig = {
        autoCommit: false,
        // Offsets are resolved by hand: a batch left early (stale after a rebalance, or stopping)
        // is fetched again rather than skipped.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          if (failure !== undefined) {
            const error = failure;
            failure = undefined;
            throw error;
          }
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          handling += 1;
          groupHeartbeat = heartbeat;
          try {
            const started = performance.now();
            const { topic, partition } = batch;
            const decoder = decoders[topic];
            if (!decoder) throw new PipelineError(`no decoder for topic ${topic}`);
            await decoder.prepare(batch.messages.map((m) => m.value));
            const { records, rejected } = decodeBatch(topic, partition, batch.messages, decoder);
            const result = (records.length > 0 ? await handler(records, { topic, partition, heartbeat }) : undefined) as
              | HandlerResult<T>
              | undefined;
            // Dead letters carry the original bytes, not the decoded value.
            const originals = (list: HandlerResult<T>['rejected']): Rejected[] => {
              const byOffset = new Map(batch.messages.map((m) => [m.offset, m]));
              return (list ?? []).flatMap((r) => {
                const message = byOffset.get(r.record.offset);
                return message ? [{ topic, partition, message, error: r.error }] : [];
              });
            };
            const deadLetter = async (list: Rejected[]) => {
              await deadLetters.publish(list);
              for (const r of list) {
                logger.warn(
                  { topic, partition, offset: r.message.offset, reason: errorMessage(r.error) },
                  'dead-lettered',
                );
              }
              if (list.length > 0) deadLetterCounter.add(list.length, { topic });
            };
            if (result?.rejected?.length) rejected.push(...originals(result.rejected));
            await deadLetter(rejected);
            const next = (BigInt(batch.lastOffset()) + 1n).toString();
            if (result?.settled) {
              const settled = result.settled.then(async (late) => {
                const list = (late as LateRejections<T> | undefined)?.rejected;
                if (list?.length) await deadLetter(originals(list));
              });
              inFlight.track({ topic, partition, firstOffset: batch.firstOffset() ?? next }, settled, () =>
                durable(topic, partition, next, batch.highWatermark),
              );
            } else {
              await options.onDurable?.({ topic, partition, nextOffset: next, highWatermark: batch.highWatermark });
              await committer.commit({ topic, partition, offset: next });
            }
            resolveOffset(batch.lastOffset());
            await heartbeat().catch((error: unknown) => {
              rebalanceSeen(error);
              throw error;
            });
            consumedCounter.add(batch.messages.length, { topic });
            batchDuration.record(performance.now() - started, { topic });
            // Bounded: past this many unsettled batches, the fetch waits for the oldest.
            await inFlight.below(maxInFlight);
          } finally {
            handling -= 1;
          }
        },
      };
      await consumer.run(runConfig);
    },
    async stop() {
      consuming = false;
      stopping = true;
      clearTimeout(restartTimer);
      crashListener();
      stopListener();
      rebalancing();
      joined();
      fetched();
      // Still in the group: no new batches, let those in flight settle, commit what is durable.
      try {
        consumer.pause(Object.keys(decoders).map((topic) => ({ topic })));
      } catch {
        // Never ran: nothing is in flight.
      }
      while (handling > 0) await new Promise((r) => setTimeout(r, 5));
      await inFlight.drain();
      clearInterval(beat);
      committer.stopTimer();
      await committer.flush();
      await consumer.disconnect();
    },
  };
}

/** About 5 minutes of restarts (the last ones 10 s apart) before a fault that stays stops the service. */
const TRANSIENT_RESTARTS = 34;

/**
 * A crash kafkajs does not retry, caused by a server being away rather than by the data or the
 * code: it found no group coordinator (a broker starting up), or it wrapped a retriable cause
 * (connection refused, a coordinator still loading, Redis unreachable) as non-retriable.
 */
export function transientCrash(error: unknown): boolean {
  for (let e = error as { name?: string; retriable?: boolean; cause?: unknown } | undefined; e; ) {
    if (e.name === 'KafkaJSGroupCoordinatorNotFound' || e.retriable === true) return true;
    e = e.cause === e ? undefined : (e.cause as typeof e);
  }
  return false;
}

/** kafkajs's own test: the group is rebalancing, or this member's generation is over. */
function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: string } | undefined)?.type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION';
}

function isRetriable(error: unknown): boolean {
  if (error instanceof PipelineError) return error.retriable;
  // kafkajs marks its own transient errors (leader moves, timeouts) as retriable.
  return (error as { retriable?: boolean } | undefined)?.retriable === true;
}
