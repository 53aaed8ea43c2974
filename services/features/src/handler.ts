import { metrics } from '@opentelemetry/api';
import {
  type BatchHandler,
  type ConsumedRecord,
  carriedHeaders,
  type DurableBatch,
  type Encoder,
  type HandlerResult,
  type IHeaders,
  INGEST_TIME_HEADER,
  type Logger,
  type Producer,
  readIngestTime,
} from '@pipeline/shared';
import type { EnrichedTransaction, Label, Transaction } from '@pipeline/topology';
import type { Redis } from 'ioredis';
import {
  type BatchResult,
  type Engine,
  loadWatermark,
  type Outcome,
  processLabels,
  processTransactions,
} from './engine.js';
import { watermarkKey } from './keys.js';
import type { LabelGate } from './label-gate.js';
import { recordProgress } from './label-progress.js';

const PRODUCE_CHUNK = 1000;

/**
 * Watermark per consumed partition, and the offset the next batch should start at; a batch that
 * starts elsewhere (restart, rebalance) reloads it from Redis as of its first offset.
 */
function partitionWatermarks(redis: Redis, prefix: string, groupId: string) {
  const known = new Map<string, { watermark: number; next: string }>();
  return {
    async forBatch<T>(records: ConsumedRecord<T>[], topic: string, partition: number) {
      const key = watermarkKey(prefix, groupId, topic, partition);
      const first = (records[0] as ConsumedRecord<T>).offset;
      const nextOffset = (BigInt((records.at(-1) as ConsumedRecord<T>).offset) + 1n).toString();
      let state = known.get(key);
      if (!state || state.next !== first) state = { watermark: await loadWatermark(redis, key, first), next: first };
      return { watermark: state.watermark, persist: { key, nextOffset } };
    },
    done(persist: { key: string; nextOffset: string }, watermark: number) {
      known.set(persist.key, { watermark, next: persist.nextOffset });
    },
    /** The watermark as of `nextOffset` (from memory, else Redis). */
    async at(topic: string, partition: number, nextOffset: string): Promise<number> {
      const key = watermarkKey(prefix, groupId, topic, partition);
      const state = known.get(key);
      return state?.next === nextOffset ? state.watermark : loadWatermark(redis, key, nextOffset);
    },
  };
}

function withIngestTime(record: ConsumedRecord<Transaction>): IHeaders {
  const carried = carriedHeaders(record.headers) ?? {};
  if (readIngestTime(carried) === undefined && Number.isFinite(record.timestamp)) {
    carried[INGEST_TIME_HEADER] = String(record.timestamp);
  }
  return carried;
}

function rejectedOf<T>(records: ConsumedRecord<T>[], outcomes: Outcome<unknown>[]): HandlerResult<T> {
  const rejected: NonNullable<HandlerResult<T>['rejected']> = [];
  outcomes.forEach((o, i) => {
    if (!o.ok) rejected.push({ record: records[i] as ConsumedRecord<T>, error: o.error });
  });
  return { rejected };
}

interface CommonOptions {
  redis: Redis;
  engine: Engine;
  /** The consumer group: watermarks are kept per group and partition. */
  groupId: string;
  now?: () => number;
}

export interface TransactionsHandlerOptions extends CommonOptions {
  producer: Producer;
  encoder: Encoder<EnrichedTransaction>;
  enrichedTopic: string;
  labels: LabelGate;
  logger: Logger;
}

/**
 * Transactions: waits until the labels before the batch's events are applied, then one Redis round
 * trip for the batch's updates, then the enriched events produced with acks from all in-sync
 * replicas; the consumer loop commits only after that resolves.
 */
export function createTransactionsHandler(options: TransactionsHandlerOptions): BatchHandler<Transaction> {
  const { redis, engine, producer, encoder, groupId, labels, logger, now = Date.now } = options;
  const meter = metrics.getMeter('pipeline.features');
  const lateCounter = meter.createCounter('features_late_events', {
    description: 'Events beyond the allowed lateness',
  });
  const enrichedCounter = meter.createCounter('features_enriched', { description: 'Enriched transactions produced' });
  const labelWait = meter.createHistogram('features_label_wait', {
    unit: 'ms',
    description: 'Time a transaction batch waited for the labels before it',
  });
  const labelTimeouts = meter.createCounter('features_label_wait_timeouts', {
    description: 'Transaction batches applied without waiting longer for labels',
  });
  const watermarks = partitionWatermarks(redis, engine.prefix, groupId);

  return async (records, { topic, partition, heartbeat }) => {
    const { watermark, persist } = await watermarks.forBatch(records, topic, partition);
    const txs = records.map((r) => r.value);
    const awaitLabels = async (upTo: number) => {
      const waited = await labels.wait(upTo, heartbeat);
      labelWait.record(waited.waitedMs);
      if (waited.timedOut) {
        labelTimeouts.add(1);
        logger.warn(
          { topic, partition, upTo, waitedMs: waited.waitedMs },
          'labels not caught up; applying without them',
        );
      }
    };
    const out = await processTransactions(redis, engine, txs, watermark, now(), persist, awaitLabels);
    // Outcomes are in record order; the publish time travels on for end-to-end latency, and the
    // transaction's own timestamp as its ingest time (unless it came with one).
    const messages = out.outcomes.flatMap((o, i) =>
      o.ok
        ? [
            {
              key: o.value.transaction.customer_id,
              value: encoder.encode(o.value),
              headers: withIngestTime(records[i] as ConsumedRecord<Transaction>),
            },
          ]
        : [],
    );
    // In chunks, one after the other: a whole batch can exceed the broker's request size, and
    // order per customer must hold.
    for (let i = 0; i < messages.length; i += PRODUCE_CHUNK) {
      await producer.send({ topic: options.enrichedTopic, acks: -1, messages: messages.slice(i, i + PRODUCE_CHUNK) });
    }
    enrichedCounter.add(messages.length);
    if (out.late > 0) lateCounter.add(out.late, { topic });
    watermarks.done(persist, out.watermark);
    return rejectedOf(records, out.outcomes);
  };
}

export interface LabelsHandlerOptions extends CommonOptions {
  /** Where each labels partition's progress is recorded for the transactions consumer. */
  progressKey: string;
}

/**
 * Labels: one round trip per batch (one script call per terminal); once a batch is durable, its
 * partition's progress is recorded for the transactions consumer's label gate.
 */
export function createLabelsHandler(options: LabelsHandlerOptions): {
  handler: BatchHandler<Label>;
  onDurable: (batch: DurableBatch) => Promise<void>;
} {
  const { redis, engine, groupId, now = Date.now } = options;
  const lateCounter = metrics
    .getMeter('pipeline.features')
    .createCounter('features_late_events', { description: 'Events beyond the allowed lateness' });
  const watermarks = partitionWatermarks(redis, engine.prefix, groupId);
  return {
    handler: async (records, { topic, partition }) => {
      const { watermark, persist } = await watermarks.forBatch(records, topic, partition);
      const out: BatchResult<Label> = await processLabels(
        redis,
        engine,
        records.map((r) => r.value),
        watermark,
        now(),
        persist,
      );
      if (out.late > 0) lateCounter.add(out.late, { topic });
      watermarks.done(persist, out.watermark);
      return rejectedOf(records, out.outcomes);
    },
    onDurable: async ({ topic, partition, nextOffset, highWatermark }) => {
      await recordProgress(redis, options.progressKey, partition, {
        nextOffset: BigInt(nextOffset),
        highWatermark: BigInt(highWatermark),
        watermark: await watermarks.at(topic, partition, nextOffset),
      });
    },
  };
}
