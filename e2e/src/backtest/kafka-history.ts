import {
  type AvroSerde,
  type ClickHouseClient,
  type Consumer,
  errorMessage,
  type Kafka,
  sql,
  type Tokenizer,
} from '@pipeline/shared';
import { type Label, schemaFor, type Transaction } from '@pipeline/topology';
import { BacktestInputError } from './candidate.js';
import { kafkaCoverageStart, type PartitionExtent } from './sources.js';

/**
 * Production's transactions and labels as Kafka still holds them, ids tokenized like the sink's
 * (production's key ring), without the messages production's feature service refused (its dead
 * letters stored in `dead_letters`): those never reached its state, and the replay must not apply them.
 */

/** Producers stamp a message when they send it, after its event: read from a little before the time wanted. */
export const READ_EARLY_MS = 3_600_000;
/** Reading a topic gives up after this long without a message. */
const STALL_MS = 120_000;
/** The service whose dead letters name messages production never applied. */
const FEATURES_SERVICE = 'features';

export interface TopicRead<T> {
  records: T[];
  partitions: PartitionExtent[];
  /** Event time from which the topic holds every message (sources.ts). */
  coverageMs: number;
  /** Messages production's feature service refused, left out. */
  refused: number;
  /** Messages that do not decode with the topic's schema (production refused them too), left out. */
  undecodable: number;
}

/** `topic:partition:offset` of each message production's feature service dead-lettered from `topics`. */
export async function refusedMessages(client: ClickHouseClient, topics: readonly string[]): Promise<Set<string>> {
  const result = await client.query({
    query: sql`SELECT topic, partition, toString(offset) AS offset FROM dead_letters
      WHERE service = ${FEATURES_SERVICE} AND has(${topics}, topic)`,
    format: 'JSONEachRow',
  });
  const found = await result.json<{ topic: string; partition: number; offset: string }>();
  return new Set(found.map((r) => `${r.topic}:${r.partition}:${r.offset}`));
}

/**
 * Reads every message of `topic` from the offsets for `readFromMs` (message timestamps) to the end
 * offsets when it began, decoding each with `decode` (null: leave it out). Positions a group of its
 * own on joining, so nothing before the start offsets is read.
 */
export async function readTopicRange<T>(options: {
  kafka: Kafka;
  topic: string;
  groupId: string;
  readFromMs: number;
  decode: (value: Buffer) => Promise<T | null>;
  eventTime: (record: T) => number;
  keep: (record: T, partition: number, offset: number) => boolean;
}): Promise<{ records: T[]; partitions: PartitionExtent[]; undecodable: number }> {
  const { kafka, topic } = options;
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; low: string; high: string }[];
  let byTime: { partition: number; offset: string }[];
  try {
    ends = await admin.fetchTopicOffsets(topic);
    byTime = await admin.fetchTopicOffsetsByTimestamp(topic, options.readFromMs);
  } catch (error) {
    throw new BacktestInputError(`cannot read Kafka topic ${topic}: ${errorMessage(error)}`);
  } finally {
    await admin.disconnect();
  }
  const partitions = new Map<number, PartitionExtent>();
  for (const e of ends) {
    const low = Number(e.low);
    const high = Number(e.high);
    const at = Number(byTime.find((b) => b.partition === e.partition)?.offset ?? -1);
    // -1: no message stamped at or after the time.
    const start = at < 0 ? high : Math.min(high, Math.max(low, at));
    partitions.set(e.partition, { partition: e.partition, low, start, high, firstEventTimeMs: null });
  }
  const records: T[] = [];
  let undecodable = 0;
  const pending = new Set([...partitions.values()].filter((p) => p.start < p.high).map((p) => p.partition));
  if (pending.size > 0) {
    const consumer: Consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 200 });
    const position = new Map([...partitions.values()].map((p) => [p.partition, p.start]));
    let finish: () => void = () => {};
    let fail: (error: unknown) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of position) consumer.seek({ topic, partition, offset: String(offset) });
    });
    consumer.on(consumer.events.CRASH, (event) => fail(event.payload.error));
    let progressed = performance.now();
    const watch = setInterval(() => {
      if (performance.now() - progressed > STALL_MS) {
        fail(new Error(`reading Kafka topic ${topic} stalled: ${pending.size} partitions not read to their end`));
      }
    }, 1_000);
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          const extent = partitions.get(batch.partition);
          if (!extent) return;
          progressed = performance.now();
          for (const message of batch.messages) {
            const offset = Number(message.offset);
            if (offset < (position.get(batch.partition) ?? 0) || offset >= extent.high) continue;
            position.set(batch.partition, offset + 1);
            const record = message.value ? await options.decode(message.value) : null;
            if (record === null) undecodable++;
            else {
              if (offset === extent.start) extent.firstEventTimeMs = options.eventTime(record);
              if (options.keep(record, batch.partition, offset)) records.push(record);
            }
          }
          if ((position.get(batch.partition) ?? 0) >= extent.high) pending.delete(batch.partition);
          if (pending.size === 0) finish();
        },
      });
      await done;
    } finally {
      clearInterval(watch);
      await consumer.disconnect();
      const cleanup = kafka.admin();
      await cleanup.connect();
      await cleanup.deleteGroups([options.groupId]).catch(() => undefined);
      await cleanup.disconnect();
    }
  }
  return { records, partitions: [...partitions.values()], undecodable };
}

export interface KafkaHistory {
  transactions: TopicRead<Transaction>;
  labels: TopicRead<Label>;
}

/**
 * Production's transactions with event time before `toMs` and labels with label_time before it (or
 * about a transaction of [rangeFromMs, toMs), for the newest labels known), from the offsets for
 * `fromMs` − READ_EARLY_MS on, ids tokenized with `tokens`.
 */
export async function readKafkaHistory(options: {
  kafka: Kafka;
  serde: AvroSerde;
  topics: { transactions: string; labels: string };
  groupPrefix: string;
  fromMs: number;
  rangeFromMs: number;
  toMs: number;
  tokens: Tokenizer;
  /** refusedMessages' answer for the two topics. */
  refused: ReadonlySet<string>;
}): Promise<KafkaHistory> {
  const { serde, tokens, topics, toMs, refused } = options;
  const readFromMs = options.fromMs - READ_EARLY_MS;
  const decoder = <T>(ref: string) => {
    const d = serde.decoder<T>(schemaFor(ref).type);
    return async (value: Buffer): Promise<T | null> => {
      try {
        await d.prepare([value]);
        return d.decode(value);
      } catch {
        return null;
      }
    };
  };
  async function read<T>(
    topic: string,
    ref: string,
    eventTime: (r: T) => number,
    wanted: (r: T) => boolean,
    tokenize: (r: T) => T,
  ): Promise<TopicRead<T>> {
    let skipped = 0;
    const read = await readTopicRange<T>({
      kafka: options.kafka,
      topic,
      groupId: `${options.groupPrefix}backtest-source-${topic}`,
      readFromMs,
      decode: decoder<T>(ref),
      eventTime,
      keep: (r, partition, offset) => {
        if (refused.has(`${topic}:${partition}:${offset}`)) {
          skipped++;
          return false;
        }
        return eventTime(r) >= readFromMs && wanted(r);
      },
    });
    return {
      records: read.records.map(tokenize),
      partitions: read.partitions,
      coverageMs: kafkaCoverageStart(read.partitions, readFromMs),
      refused: skipped,
      undecodable: read.undecodable,
    };
  }
  const [transactions, labels] = await Promise.all([
    read<Transaction>(
      topics.transactions,
      'fraud/transaction',
      (t) => t.event_time,
      (t) => t.event_time < toMs,
      (t) => ({
        ...t,
        customer_id: tokens.token('customer', t.customer_id),
        terminal_id: tokens.token('terminal', t.terminal_id),
      }),
    ),
    read<Label>(
      topics.labels,
      'fraud/label',
      (l) => l.label_time,
      (l) =>
        l.label_time < toMs ||
        (l.transaction_time !== null && l.transaction_time >= options.rangeFromMs && l.transaction_time < toMs),
      (l) => ({
        ...l,
        customer_id: tokens.token('customer', l.customer_id),
        terminal_id: tokens.token('terminal', l.terminal_id),
      }),
    ),
  ]);
  return { transactions, labels };
}
