import { metrics } from '@opentelemetry/api';
import { type Watermark, watermarkTime } from '@pipeline/feature-sets';
import type { RedisClient as Redis } from '@pipeline/shared';
import {
  type BatchContext,
  type BatchHandler,
  type ConsumedRecord,
  carriedHeaders,
  type DurableBatch,
  type Encoder,
  type FetchedPartition,
  type FetchTimes,
  type HandlerResult,
  type IHeaders,
  INGEST_TIME_HEADER,
  type LateRejections,
  type Logger,
  type Producer,
  readIngestTime,
} from '@pipeline/shared';
import type { EnrichedTransaction, Label, Transaction } from '@pipeline/topology';
import {
  applyTransactions,
  type BatchResult,
  checkTransactions,
  type Engine,
  loadWatermark,
  type Outcome,
  processLabels,
  type WatermarkWrite,
  writeWatermark,
} from './engine.js';
import type { Frontier } from './frontier.js';
import { watermarkKey } from './keys.js';
import type { LabelGate, LookupMark } from './label-gate.js';
import { recordProgress } from './label-progress.js';
import { createRounds, ROUND_MAX_WEIGHT, type RoundBatch, type RoundItem } from './rounds.js';

/**
 * Watermark per consumed partition, and the offset the next batch should start at; a batch that
 * starts elsewhere (restart, rebalance) reloads it from Redis as of its first offset.
 */
export function partitionWatermarks(redis: Redis, prefix: string, groupId: string) {
  const known = new Map<string, { watermark: Watermark; next: string }>();
  return {
    async forBatch<T>(records: ConsumedRecord<T>[], topic: string, partition: number) {
      const key = watermarkKey(prefix, groupId, topic, partition);
      const first = (records[0] as ConsumedRecord<T>).offset;
      const nextOffset = (BigInt((records.at(-1) as ConsumedRecord<T>).offset) + 1n).toString();
      let state = known.get(key);
      if (!state || state.next !== first) state = { watermark: await loadWatermark(redis, key, first), next: first };
      return { watermark: state.watermark, persist: { key, nextOffset } };
    },
    done(persist: { key: string; nextOffset: string }, watermark: Watermark) {
      known.set(persist.key, { watermark, next: persist.nextOffset });
    },
    /** The watermark as of `nextOffset` (from memory, else Redis). */
    async at(topic: string, partition: number, nextOffset: string): Promise<Watermark> {
      const key = watermarkKey(prefix, groupId, topic, partition);
      const state = known.get(key);
      return state?.next === nextOffset ? state.watermark : loadWatermark(redis, key, nextOffset);
    },
  };
}

export function withIngestTime<T>(record: ConsumedRecord<T>): IHeaders {
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
  /** Most a partition with data on the broker and none buffered holds the others back (see alignment.ts). */
  alignMaxWaitMs: number;
  /** A caught-up partition counts only once a later fetch confirms it (see alignment.ts). */
  alignConfirm?: boolean;
  /**
   * The group's other members' partitions (frontier.ts), and how many partitions the transactions
   * topic has: while this member holds fewer, its records also wait for the others'.
   */
  frontier?: { shared: Frontier; partitions: number };
  /** Most another member's partition that makes no progress holds records back (see alignment.ts). */
  alignMemberWaitMs?: number;
}

/** An accepted transaction waiting to be applied, with the batch it came in. */
interface Pending extends RoundItem<Rejection> {
  tx: Transaction;
  /** Its partition's watermark just after it (see CheckedTransactions.horizons). */
  horizon: number;
  record: ConsumedRecord<Transaction>;
  batch: PendingBatch;
}

type Rejection = LateRejections<Transaction>['rejected'][number];

interface PendingBatch extends RoundBatch<Rejection> {
  /** Taken once its records were received: the label gate needs a lookup asked for after it. */
  received: LookupMark;
  /** Written with the batch's last transaction: the partition's watermark as of the batch's end. */
  watermark: WatermarkWrite & { watermark: Watermark };
}

/**
 * Transactions: each batch is checked at once (refusals dead-lettered), then its transactions join
 * those of the other partitions and are applied in event-time order (alignment.ts): per round, the
 * labels before them awaited, one Redis round trip, the enriched events produced with acks from all
 * in-sync replicas. A batch is committed once its last transaction's round is (`settled`).
 */
export function createTransactionsHandler(options: TransactionsHandlerOptions): {
  handler: (records: ConsumedRecord<Transaction>[], context: BatchContext) => Promise<HandlerResult<Transaction>>;
  onFetch: (partitions: FetchedPartition[], at: FetchTimes) => void;
  onAssigned: (assignment: Record<string, number[]>) => void;
  onRebalancing: () => void;
} {
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
  const topic = options.enrichedTopic;
  // Taken as each fetch's answer arrives, before its batches are handed over.
  let fetchMark: LookupMark | undefined;

  const apply = async (items: Pending[]) => {
    let upTo = Number.NEGATIVE_INFINITY;
    let received: LookupMark = 0;
    for (const item of items) {
      if (item.time > upTo) upTo = item.time;
      if (item.batch.received > received) received = item.batch.received;
    }
    const waited = await labels.wait(upTo, { received });
    labelWait.record(waited.waitedMs);
    if (waited.timedOut) {
      labelTimeouts.add(1);
      logger.warn({ upTo, waitedMs: waited.waitedMs }, 'labels not caught up; applying without them');
    }
    // The batches that end in this round: their partitions' watermarks go in the same round trip.
    const inRound = new Map<PendingBatch, number>();
    for (const item of items) inRound.set(item.batch, (inRound.get(item.batch) ?? 0) + 1);
    const ending = [...inRound].filter(([b, k]) => k === b.remaining).map(([b]) => b.watermark);
    const outcomes = await applyTransactions(
      redis,
      engine,
      items.map((item) => item.tx),
      items.map((item) => item.horizon),
      ending,
    );
    // The publish time travels on for end-to-end latency, and the transaction's own timestamp as
    // its ingest time (unless it came with one).
    const messages: Parameters<Producer['send']>[0]['messages'] = [];
    outcomes.forEach((o, i) => {
      const item = items[i] as Pending;
      if (o.ok) {
        messages.push({
          key: o.value.transaction.customer_id,
          value: encoder.encode(o.value),
          headers: withIngestTime(item.record),
        });
      } else item.batch.rejected.push({ record: item.record, error: o.error });
    });
    // one send: the shared producer splits what exceeds a request's size, its parts in order
    await producer.send({ topic, acks: -1, messages });
    enrichedCounter.add(messages.length);
  };
  const rounds = createRounds<Rejection, Pending>({
    apply,
    logger,
    alignMaxWaitMs: options.alignMaxWaitMs,
    alignConfirm: options.alignConfirm ?? false,
    alignMemberWaitMs: options.alignMemberWaitMs ?? options.alignMaxWaitMs,
    roundLimit: { max: ROUND_MAX_WEIGHT, weight: () => 1 },
    ...(options.frontier ? { frontier: { shared: options.frontier.shared, lanes: options.frontier.partitions } } : {}),
  });

  return {
    handler: async (records, { topic: from, partition }) => {
      const { watermark, persist } = await watermarks.forBatch(records, from, partition);
      const txs = records.map((r) => r.value);
      const checked = checkTransactions(engine, txs, watermark, now());
      watermarks.done(persist, checked.watermark);
      if (checked.late > 0) lateCounter.add(checked.late, { topic: from });
      const rejected = checked.refused.flatMap((error, i) =>
        error ? [{ record: records[i] as ConsumedRecord<Transaction>, error }] : [],
      );
      const end = { ...persist, watermark: checked.watermark };
      if (checked.accepted.length === 0) {
        await Promise.all(writeWatermark(redis, end, end.watermark));
        return { rejected };
      }
      const { batch, settled } = rounds.batch<PendingBatch>(checked.accepted.length, {
        // The mark of the fetch that brought it (any later one is later than its arrival too).
        received: fetchMark ?? labels.received(),
        watermark: end,
      });
      rounds.push(
        from,
        partition,
        checked.accepted.map((i, k) => {
          const tx = txs[i] as Transaction;
          const record = records[i] as ConsumedRecord<Transaction>;
          return { time: tx.event_time, tx, horizon: checked.horizons[k] as number, record, batch };
        }),
      );
      return { rejected, settled };
    },
    onFetch(partitions, at) {
      // The lookup its batches' labels need, asked for now: answered, mostly, before they are taken.
      fetchMark = labels.received(partitions.some((p) => p.delivered));
      rounds.onFetch(partitions, at);
    },
    onRebalancing: rounds.onRebalancing,
    onAssigned: rounds.onAssigned,
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
        // The latest label time, not the lateness watermark: a replay's first days hold fewer labels
        // per partition than that watermark's rank, and with none the gate could only trust a
        // caught-up check against a broker lookup up to a second old (labels published since, before
        // the transactions waiting, were missed).
        watermark: watermarkTime(await watermarks.at(topic, partition, nextOffset), 1),
      });
    },
  };
}
