import {
  type AvroSerde,
  type BatchConsumer,
  type ClickHouseClient,
  type ConsumedRecord,
  type ConsumerTuning,
  createBatchConsumer,
  type DeadLetter,
  type HandlerResult,
  type Kafka,
  type Logger,
  type Producer,
  type Tokenizer,
} from '@pipeline/shared';
import { allTopics, createTopicDeadLetters, schemaFor } from '@pipeline/topology';
import { BatchWriter } from './batch-writer.js';
import { createEventTimeReader, withoutLoop } from './dead-letters.js';
import { RowRejectedError } from './errors.js';
import type { StoredTopic } from './streams.js';
import { auditLogRow, insertAuditLog } from './tables/audit-log.js';
import { deadLetterRow, insertDeadLetters, keyKindOf } from './tables/dead-letters.js';

/**
 * The pipeline's own topics the sink reads or writes, whatever the use cases. main.ts takes the
 * names from the topology; the use cases' topics come as `stored` (streams.ts).
 */
export interface SinkTopics {
  /** Dead letters of these fraud topics are dated by the event time in their original bytes. */
  enriched: string;
  scores: string;
  decisions: string;
  /** Audit entries of the programs without a ClickHouse connection, into audit_log. */
  audit: string;
  /** Where the sink's own refusals go. */
  deadLetters: string;
  /** Dead letters stored in dead_letters; in production the same topic as `deadLetters`. */
  deadLettersIn: string;
  /** Not consumed: only to date the dead letters of raw transactions. */
  transactions?: string;
}

// What the use cases' topics carry is the streams' business: the routes hand it to their row builders.
type SinkValue = unknown;
type Record_ = ConsumedRecord<SinkValue>;

export interface SinkOptions {
  kafka: Kafka;
  /** For dead letters; connected by the caller. */
  producer: Producer;
  serde: AvroSerde;
  /** On the sink's database, migrated. */
  clickhouse: ClickHouseClient;
  topics: SinkTopics;
  /** The use cases' topics and their tables (`storedTopics`). */
  stored: readonly StoredTopic[];
  groupId: string;
  serviceName: string;
  batchSize: number;
  flushIntervalMs: number;
  maxBackoffMs: number;
  partitionsConsumedConcurrently: number;
  /** Customer and terminal ids become tokens with it before any row is written (docs/security.md). */
  tokenizer: Tokenizer;
  logger: Logger;
  fromBeginning?: boolean;
  onCrash?: (error: Error) => void;
  tuning?: ConsumerTuning;
}

export interface Sink {
  start(): Promise<void>;
  /** Stops fetching, flushes what is buffered (up to `graceMs`), then leaves the group. */
  stop(graceMs?: number): Promise<void>;
  /** True while some table's inserts are failing and being retried. */
  readonly retrying: boolean;
  readonly consumer: BatchConsumer;
}

interface Route {
  writer: BatchWriter<unknown, Record_>;
  handle(records: Record_[], heartbeat: () => Promise<void>): Promise<HandlerResult<SinkValue>>;
}

/**
 * One topic into one table: map each record to its row (a record that has none is rejected), then
 * write. `prepare` runs first on the batch's values, for mappings that need the registry.
 */
function route<V, Row>(
  writer: BatchWriter<Row, Record_>,
  toRow: (value: V) => Row,
  prepare?: (values: V[]) => Promise<void>,
): Route {
  return {
    writer: writer as BatchWriter<unknown, Record_>,
    async handle(records, heartbeat) {
      await prepare?.(records.map((r) => r.value as V));
      const rejected: { record: Record_; error: unknown }[] = [];
      const items: { row: Row; ref: Record_ }[] = [];
      for (const record of records) {
        try {
          items.push({ row: toRow(record.value as V), ref: record });
        } catch (error) {
          // Only a record's own fault is dead-lettered; a bug in the mapping stops the consumer.
          if (!(error instanceof RowRejectedError)) throw error;
          rejected.push({ record, error });
        }
      }
      const refused = await writer.write(items, heartbeat);
      return { rejected: [...rejected, ...refused.map((r) => ({ record: r.ref, error: r.error }))] };
    },
  };
}

/**
 * The analytics sink: one consumer group over the use cases' topics (`stored`), the audit topic and
 * the dead-letter topic, one buffered writer per table.
 * Offsets of a batch are committed by the consumer loop only after the writer resolved, that is
 * after ClickHouse acknowledged every row of the batch (or refused it and it was dead-lettered).
 * Tables are ReplacingMergeTree on the event's id, so what is redelivered after a crash counts once;
 * audit_log, append-only, gets only the ids it does not hold yet.
 */
export async function createSink(options: SinkOptions): Promise<Sink> {
  const { kafka, producer, serde, clickhouse, topics, logger, tokenizer } = options;
  const writer = <Row>(table: string, insert: (client: ClickHouseClient, rows: Row[]) => Promise<void>) =>
    new BatchWriter<Row, Record_>({
      table,
      insert: (rows) => insert(clickhouse, rows),
      batchSize: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      backoff: { initialMs: 100, maxMs: options.maxBackoffMs },
      logger,
    });
  const eventTimes = createEventTimeReader(serde, topics);
  // What a dead letter's original key holds, by its topic: a user id on the recommendation topics.
  const keyOf = new Map<string, string>([
    ...allTopics.map((t) => [t.name, t.key] as const),
    ...options.stored.map((s) => [s.topic, s.stream.topic.key] as const),
  ]);
  const routes: Record<string, Route> = {
    ...Object.fromEntries(
      options.stored.map(({ topic, stream }) => [
        topic,
        route(writer(stream.table, stream.insert), (v) => stream.row(v, tokenizer)),
      ]),
    ),
    [topics.audit]: route(writer('audit_log', insertAuditLog), auditLogRow),
    [topics.deadLettersIn]: route(
      writer('dead_letters', insertDeadLetters),
      (letter: DeadLetter) =>
        deadLetterRow(letter, eventTimes.eventTime(letter), tokenizer, keyKindOf(keyOf.get(letter.topic))),
      (letters) => eventTimes.prepare(letters),
    ),
  };
  const decoders = {
    ...Object.fromEntries(
      options.stored.map(({ topic, stream }) => [
        topic,
        serde.decoder<SinkValue>(schemaFor(stream.topic.valueSchema).type),
      ]),
    ),
    [topics.audit]: serde.decoder<SinkValue>(schemaFor('pipeline/audit').type),
    [topics.deadLettersIn]: serde.decoder<SinkValue>(schemaFor('pipeline/dead-letter').type),
  };
  const consumer = createBatchConsumer<SinkValue>({
    kafka,
    groupId: options.groupId,
    decoders,
    deadLetters: withoutLoop(
      await createTopicDeadLetters({
        producer,
        serde,
        topic: topics.deadLetters,
        service: options.serviceName,
      }),
      topics.deadLettersIn,
      logger,
    ),
    logger,
    fromBeginning: options.fromBeginning ?? true,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    ...options.tuning,
    onCrash: options.onCrash,
    handler: async (records, context) => {
      const target = routes[context.topic];
      if (!target) throw new Error(`no table for topic ${context.topic}`);
      return target.handle(records, context.heartbeat);
    },
  });
  const writers = Object.values(routes).map((r) => r.writer);
  return {
    consumer,
    start: () => consumer.start(),
    get retrying() {
      return writers.some((w) => w.retrying);
    },
    async stop(graceMs = 10_000) {
      try {
        consumer.consumer.pause(Object.keys(routes).map((topic) => ({ topic })));
      } catch {
        // Not running yet: nothing to pause.
      }
      await Promise.all(writers.map((w) => w.close(graceMs)));
      await consumer.stop();
    },
  };
}
